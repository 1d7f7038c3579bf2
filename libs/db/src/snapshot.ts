import type pg from 'pg';
import { withTransaction } from './pool.js';

/** lock_not_available: a LOCK … NOWAIT that would have had to wait. */
const LOCK_NOT_AVAILABLE = '55P03';

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

/**
 * Work that can run whole on one connection, or in two halves on two connections sharing one
 * snapshot (PostgreSQL runs a statement on one core: the halves use both).
 */
export interface SplittableWork<T> {
  whole(client: pg.PoolClient): Promise<T>;
  half(client: pg.PoolClient, no: 0 | 1): Promise<T>;
}

/**
 * Inside a locked snapshot ({@link inLockedSnapshot}) held by `client`: runs `work` and returns its
 * results, whole, or — when `split` and the pool has a connection to spare at that moment — in two
 * halves at once, the second on a connection that imports the client's snapshot
 * (`pg_export_snapshot`), so both read the same rows. Should other requests take the spare
 * connection meanwhile, this one waits for the next free connection; the request that fills the
 * pool sees none to spare and runs whole on its one connection, so requests never all wait on one
 * another. The second connection locks `tables` with NOWAIT; refused (a merge waits for the first
 * one's locks), the client runs both halves.
 */
export async function splitInSnapshot<T>(
  pool: pg.Pool,
  client: pg.PoolClient,
  tables: readonly string[],
  work: SplittableWork<T>,
  split: boolean,
): Promise<T[]> {
  if (!split || !hasSpareConnection(pool)) return [await work.whole(client)];
  const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  const snapshot = rows[0].id;
  const [mine, theirs] = await Promise.all([
    work.half(client, 0),
    inLockedSnapshot(
      pool,
      tables,
      async (helper) => {
        await helper.query(`SET TRANSACTION SNAPSHOT ${helper.escapeLiteral(snapshot)}`);
        return work.half(helper, 1);
      },
      'nowait',
    ).catch((error: unknown) => {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return undefined;
      throw error;
    }),
  ]);
  return [mine, theirs ?? (await work.half(client, 1))];
}

/** Whether pool.connect() would hand out a connection without waiting. */
function hasSpareConnection(pool: pg.Pool): boolean {
  return pool.idleCount > 0 || pool.totalCount < (pool.options.max ?? 10);
}
