import type pg from 'pg';

/**
 * What an ingestion left in every layer, for the exactly-once checks of the fault specs: each spec
 * compares the whole object with the figures one clean pass over its file would give.
 */
export interface LayerFacts {
  /** Bronze chunks put together are exactly the file after its header. */
  bronzeIsTheFile: boolean;
  bronzeChunksMissing: number;
  bronzeRows: number;
  silverRows: number;
  /** Distinct source lines in silver among 2..rows+1 (silver has no key across its partitions). */
  silverDistinctLines: number;
  rejects: number;
  /** Chunks not (yet) in a segment with gold folded. */
  chunksNotInSegment: number;
  /** Rows of every segment in the database, merged ones included (the spec's database holds this one ingestion only). */
  segmentRows: number;
  /** Segment tables a build killed mid-way left behind unattached (a rolled-back build leaves none). */
  unattachedTables: string[];
  /** Gold totals (the spec's database holds this one ingestion only). */
  gold: { groups: number; regionWeeks: number; originCells: number; odCells: number };
}

/** Reads the facts of one ingestion (`file`: the uploaded bytes; `rows`: its number of records). */
export async function layerFacts(pool: pg.Pool, ingestionNo: number, file: Buffer, rows: number): Promise<LayerFacts> {
  const one = async (sql: string, params: unknown[] = [ingestionNo]) =>
    Number((await pool.query<{ n: string }>(sql, params)).rows[0].n);
  const chunks = await pool.query<{ data: Buffer }>(
    'SELECT data FROM bronze.chunks WHERE ingestion_no = $1 ORDER BY seq',
    [ingestionNo],
  );
  const unattached = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('silver', 'gold') AND c.relkind = 'r' AND c.relname ~ '_[0-9]+$'
        AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid)`,
  );
  const gold = (
    await pool.query<Record<string, string>>(
      `SELECT (SELECT sum(trip_count) FROM gold.trip_groups) AS groups,
              (SELECT sum(trips) FROM gold.weekly_region_counts) AS region_weeks,
              (SELECT sum(trips) FROM gold.weekly_origin_cells) AS origin_cells,
              (SELECT sum(trips) FROM gold.weekly_od_cells) AS od_cells`,
    )
  ).rows[0];
  return {
    bronzeIsTheFile: Buffer.concat(chunks.rows.map((c) => c.data)).equals(file.subarray(file.indexOf('\n') + 1)),
    bronzeChunksMissing:
      (await one('SELECT total_chunks AS n FROM meta.ingestions WHERE ingestion_no = $1')) - (chunks.rowCount ?? 0),
    bronzeRows: await one('SELECT coalesce(sum(rows), 0) AS n FROM bronze.chunks WHERE ingestion_no = $1'),
    silverRows: await one('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1'),
    silverDistinctLines: await one(
      'SELECT count(DISTINCT line_no) AS n FROM silver.trips WHERE ingestion_no = $1 AND line_no BETWEEN 2 AND $2',
      [ingestionNo, rows + 1],
    ),
    rejects: await one('SELECT count(*) AS n FROM silver.rejects WHERE ingestion_no = $1'),
    chunksNotInSegment: await one(
      'SELECT count(*) AS n FROM meta.silver_chunks WHERE ingestion_no = $1 AND (segment_no IS NULL OR NOT gold_done)',
    ),
    segmentRows: await one('SELECT coalesce(sum(rows), 0) AS n FROM meta.segments', []),
    unattachedTables: unattached.rows.map((r) => r.name),
    gold: {
      groups: Number(gold.groups),
      regionWeeks: Number(gold.region_weeks),
      originCells: Number(gold.origin_cells),
      odCells: Number(gold.od_cells),
    },
  };
}

/** The facts of a file of `rows` valid records ingested exactly once. */
export function exactlyOnce(rows: number): LayerFacts {
  return {
    bronzeIsTheFile: true,
    bronzeChunksMissing: 0,
    bronzeRows: rows,
    silverRows: rows,
    silverDistinctLines: rows,
    rejects: 0,
    chunksNotInSegment: 0,
    segmentRows: rows,
    unattachedTables: [],
    gold: { groups: rows, regionWeeks: rows, originCells: rows, odCells: rows },
  };
}
