import type pg from 'pg';
import { createPool } from '#db';
import { loadConfig, type Env } from '#config';

/** The config the global setup prepared (test database, per-run topic prefix). */
export function testEnv(overrides: Partial<Record<keyof Env, string>> = {}): Env {
  const env = loadConfig({ ...process.env, ...overrides });
  if (!new URL(env.DATABASE_URL).pathname.includes('test')) {
    throw new Error(`refusing to run tests against ${env.DATABASE_URL}: database name must contain "test"`);
  }
  return env;
}

/**
 * A pool on the test database; end it in afterAll. A connection lost while idle (a session terminated,
 * a database dropped) is dropped from the pool instead of crashing the test run; a query in flight
 * still rejects.
 */
export function testPool(): pg.Pool {
  return createPool(testEnv().DATABASE_URL, 4, 'test');
}
