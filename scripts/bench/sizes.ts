import type pg from 'pg';

/**
 * On-disk bytes of each layer (tables, TOAST and indexes; a partitioned table counts its partitions),
 * plus the whole database: what the storage budget of the 100M issue is measured on.
 */
export async function layerBytes(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ layer: string; bytes: string }>(
    `SELECT n.nspname AS layer, sum(pg_total_relation_size(c.oid))::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('bronze', 'silver', 'gold', 'meta') AND c.relkind IN ('r', 'm')
      GROUP BY n.nspname
     UNION ALL
     SELECT 'database', pg_database_size(current_database())`,
  );
  return Object.fromEntries(rows.map((r) => [r.layer, Number(r.bytes)]));
}
