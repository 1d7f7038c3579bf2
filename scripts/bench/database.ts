// The database a benchmark runs on: its URL, dropped and created afresh, migrated. A bench database's
// name must contain "bench", so a mistyped --database never drops anything else.
import pg from 'pg';
import { ensureDatabase, runMigrations } from '#db';

/** DATABASE_URL (or the local default) pointed at the bench database `name`. */
export function benchDatabaseUrl(name: string): string {
  if (!name.includes('bench')) throw new Error('the bench database name must contain "bench"');
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips');
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the bench database of `url`, if it exists (connections to it are closed). */
export async function dropBenchDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name.includes('bench')) throw new Error('the bench database name must contain "bench"');
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The bench database `name`, dropped, created and migrated; returns its URL. */
export async function freshBenchDatabase(name: string): Promise<string> {
  const url = benchDatabaseUrl(name);
  await dropBenchDatabase(url);
  await ensureDatabase(url);
  await runMigrations(url);
  return url;
}
