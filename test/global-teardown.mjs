import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export default async function globalTeardown() {
  if (process.env.KEEP_TEST_DB !== '1' && process.env.DATABASE_URL?.includes('trips_test_')) {
    const db = await import(join(root, 'dist/libs/db/src/index.js'));
    await db.dropDatabase(process.env.DATABASE_URL);
  }
  if (globalThis.__TRIPS_STARTED_KAFKA__) {
    execFileSync('bash', [join(root, 'scripts/kafka/stop.sh')], { stdio: 'inherit' });
  }
}
