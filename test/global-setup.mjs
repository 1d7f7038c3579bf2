// Jest global setup: build once (end-to-end tests spawn the compiled services), start the local Kafka
// if nothing answers on KAFKA_BROKERS, create a fresh test database, migrate it, create the topics
// under a per-run prefix. Runs as plain JS because Jest's module mapping does not apply here.
import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function brokerAnswers(hostPort) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    socket.setTimeout(1500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

export default async function globalSetup() {
  const t0 = Date.now();
  // Type errors are `npm run typecheck`'s job (CI runs it first); here we only need the JS emitted.
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  } catch {
    process.stderr.write(
      '[global-setup] tsc reported type errors (run npm run typecheck); continuing with the emitted JS\n',
    );
  }

  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  process.env.KAFKA_BROKERS = brokers;
  if (!(await brokerAnswers(brokers.split(',')[0]))) {
    execFileSync('bash', [join(root, 'scripts/kafka/start.sh')], {
      stdio: 'inherit',
      env: { ...process.env, KAFKA_BROKERS: brokers },
    });
    globalThis.__TRIPS_STARTED_KAFKA__ = true;
  }

  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const base = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips_test');
  base.pathname = `/trips_test_${runId}`;
  const databaseUrl = base.toString();
  if (!databaseUrl.includes('test'))
    throw new Error(`refusing to test against ${databaseUrl}: name must contain "test"`);
  process.env.DATABASE_URL = databaseUrl;
  process.env.KAFKA_TOPIC_PREFIX = `test-${runId}.`;
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'warn';

  const db = await import(join(root, 'dist/libs/db/src/index.js'));
  const { loadConfig } = await import(join(root, 'dist/libs/config/src/index.js'));
  const { createKafka, ensureTopics } = await import(join(root, 'dist/libs/kafka/src/index.js'));
  await db.ensureDatabase(databaseUrl);
  await db.runMigrations(databaseUrl);
  const env = loadConfig();
  await ensureTopics(createKafka(env, 'test-setup'), env);
  process.stdout.write(
    `\n[global-setup] db=${base.pathname.slice(1)} topics=${env.KAFKA_TOPIC_PREFIX}* ready in ${Date.now() - t0} ms\n`,
  );
}
