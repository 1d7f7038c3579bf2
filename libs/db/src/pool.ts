import pg from 'pg';
import { isTransientDbError } from './transient.js';

/**
 * A pg pool. Connections are opened lazily, so a service boots (and reports 503 on /health)
 * while PostgreSQL is down, and recovers when it comes back. `settings` are sent as startup options
 * of each new connection (no extra round trip), e.g. `{ jit: 'off' }`.
 */
export function createPool(
  databaseUrl: string,
  max = 10,
  applicationName = 'trips',
  settings: Record<string, string> = {},
): pg.Pool {
  const options = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: applicationName,
    ...(options ? { options } : {}),
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A client losing its connection (PostgreSQL restarted, the session terminated) must not crash the
  // process. An idle client reports it to the pool, which drops it; a checked-out client emits it on
  // itself, and only between queries (a query in flight rejects instead): the work holding it fails
  // on its next query and is retried, and the broken client is not returned to the pool.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Runs `fn` in a transaction on one client; rolls back on error and always releases the client.
 * `begin` may set the transaction's modes, e.g. `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection is gone; do not return it to the pool
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs an idempotent call again while it fails transiently (by default a database error: a
 * connection cut, PostgreSQL restarting; `transient` judges other dependencies), with backoff up to
 * 1 s, for up to `forMs`; then, or on any other error, throws. `onRetry` hears each retried error.
 */
export async function retryTransient<T>(
  fn: () => Promise<T>,
  forMs = 15_000,
  transient: (error: unknown) => boolean = isTransientDbError,
  onRetry: (error: unknown) => void = () => undefined,
): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!transient(error) || Date.now() >= deadline) throw error;
      onRetry(error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
    }
  }
}
