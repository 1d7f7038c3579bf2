import pg from 'pg';
import { loadConfig, type Env } from '#config';

/** The config the global setup prepared (test database, per-run topic prefix). */
export function testEnv(overrides: Partial<Record<keyof Env, string>> = {}): Env {
  const env = loadConfig({ ...process.env, ...overrides });
  if (!new URL(env.DATABASE_URL).pathname.includes('test')) {
    throw new Error(`refusing to run tests against ${env.DATABASE_URL}: database name must contain "test"`);
  }
  return env;
}

/** A pool on the test database; end it in afterAll. */
export function testPool(): pg.Pool {
  return new pg.Pool({ connectionString: testEnv().DATABASE_URL, max: 4 });
}
