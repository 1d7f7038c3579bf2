import type pg from 'pg';
import { withTransaction } from './pool.js';

/** lock_not_available: a LOCK … NOWAIT that would have had to wait. */
export const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Runs `work` in a read-only repeatable-read transaction of its own, which first locks `tables`
 * (partitioned parents, ACCESS SHARE, the parents only) and only then takes its snapshot. A merge or
 * a retraction replaces partitions by new ones whose rows a snapshot taken before its commit cannot
 * see; its DROP of the old ones waits for this lock, so a reader never finds the old partitions gone
 * and the new ones empty.
 *
 * `nowait` is for a second connection sharing the first one's snapshot: once the first holds its
 * locks, a merge's DROP queues behind them, and a lock request of the second would queue behind the
 * DROP while the first waits for the second — a wait cycle PostgreSQL cannot see (part of it is in
 * the client). Refused, it throws {@link LOCK_NOT_AVAILABLE} and the caller does the work on the first.
 */
export function inLockedSnapshot<T>(
  pool: pg.Pool,
  tables: readonly string[],
  work: (client: pg.PoolClient) => Promise<T>,
  lock: 'wait' | 'nowait' = 'wait',
): Promise<T> {
  const sql = `LOCK TABLE ${tables.map((t) => `ONLY ${t}`).join(', ')} IN ACCESS SHARE MODE${lock === 'nowait' ? ' NOWAIT' : ''}`;
  return withTransaction(
    pool,
    async (client) => {
      await client.query(sql);
      return work(client);
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}
