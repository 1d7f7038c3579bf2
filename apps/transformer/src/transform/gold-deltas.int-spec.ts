import type pg from 'pg';
import { testPool } from '#testing';
import {
  createIngestion,
  insertBronze,
  point,
  transformChunk,
  transformService,
  type BronzeRecord,
} from '../../test/bronze-fixtures.js';

/**
 * The gold partitions a segment build COPYs from the transformer's aggregation (gold-deltas.ts) hold
 * exactly what PostgreSQL's GROUP BY over the segment's silver rows gives.
 */
describe('gold deltas aggregated in the transformer', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  it('equal GROUP BY over the segment for every segmented gold table', async () => {
    const ing = await createIngestion(pool);
    // Ids past smallint and past 2^16 (a packed key component), up to near 2^31, beside small ones.
    const wide = [`ds_wide_${ing.ingestionNo}_a`, `ds_wide_${ing.ingestionNo}_b`];
    await pool.query(`INSERT INTO silver.datasources (datasource_id, name) VALUES ($1, $2), ($3, $4)`, [
      70_000 + ing.ingestionNo,
      wide[0],
      2_147_000_000 + ing.ingestionNo,
      wide[1],
    ]);
    await pool.query(`INSERT INTO silver.regions (region_id, name, name_key) VALUES ($1, $2, lower($2))`, [
      2_147_000_000 + ing.ingestionNo,
      `Deltaville ${ing.ingestionNo} 1`,
    ]);
    const sources = ['ds_a', 'ds_b', 'ds_c', ...wide];
    // Few cells, buckets and weeks, so many trips share keys; dates around week borders, before 2000
    // and far from it; negative coordinates.
    const records: BronzeRecord[] = [];
    const dates = [
      '1999-12-26 23:59:59',
      '1999-12-27 00:00:00',
      '2018-06-03 23:59:59',
      '2018-06-04 00:00:00',
      '0100-03-01 12:00:00',
      '9999-12-31 23:59:59',
    ];
    for (let i = 0; i < 600; i++) {
      records.push({
        line: 2 + i,
        region: `Deltaville ${ing.ingestionNo} ${i % 2}`,
        origin: point(-58.4 + (i % 4) * 0.013, -34.6),
        destination: point(-58.45 + (i % 3) * 0.01, -34.62),
        datetime: dates[i % dates.length].replace(
          / \d\d/,
          (h) => ` ${String((Number(h) + (i % 3)) % 24).padStart(2, '0')}`,
        ),
        datasource: sources[Math.floor(i / 5) % sources.length],
      });
    }
    const counts = await transformChunk(
      transformService(pool),
      pool,
      ing,
      0,
      await insertBronze(pool, ing.ingestionNo, records),
    );
    expect(counts).toEqual({ totalRows: 600, validRows: 600, rejectedRows: 0 });
    const { rows: seg } = await pool.query<{ segment_no: number }>(
      'SELECT segment_no FROM meta.segments WHERE ingestion_no = $1',
      [ing.ingestionNo],
    );
    const n = seg[0].segment_no;
    const week = `date_trunc('week', occurred_at)::date`;
    const pairs: [string, string][] = [
      [
        `SELECT origin_cell, week_start, datasource_id, trips FROM gold.weekly_origin_cells_${n}`,
        `SELECT origin_cell, ${week}, datasource_id, count(*) FROM silver.trips_${n} GROUP BY 1, 2, 3`,
      ],
      [
        `SELECT destination_cell, week_start, datasource_id, trips FROM gold.weekly_destination_cells_${n}`,
        `SELECT destination_cell, ${week}, datasource_id, count(*) FROM silver.trips_${n} GROUP BY 1, 2, 3`,
      ],
      [
        `SELECT origin_cell, destination_cell, week_start, datasource_id, trips FROM gold.weekly_od_cells_${n}`,
        `SELECT origin_cell, destination_cell, ${week}, datasource_id, count(*) FROM silver.trips_${n} GROUP BY 1, 2, 3, 4`,
      ],
      [
        `SELECT region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen, last_seen, datasource_ids FROM gold.trip_group_parts_${n}`,
        `SELECT region_id, origin_cell, destination_cell, tod_bucket, count(*), min(occurred_at), max(occurred_at),
                array_agg(DISTINCT datasource_id ORDER BY datasource_id) FROM silver.trips_${n} GROUP BY 1, 2, 3, 4`,
      ],
    ];
    for (const [gold, brute] of pairs) {
      const { rows } = await pool.query<{ missing: number; extra: number; total: number }>(
        `WITH g AS (${gold}), b AS (${brute})
         SELECT (SELECT count(*)::int FROM (TABLE b EXCEPT ALL TABLE g) x) AS missing,
                (SELECT count(*)::int FROM (TABLE g EXCEPT ALL TABLE b) x) AS extra,
                (SELECT count(*)::int FROM g) AS total`,
      );
      expect({ table: gold.split(' FROM ')[1], ...rows[0] }).toMatchObject({ missing: 0, extra: 0 });
      expect(rows[0].total).toBeGreaterThan(1);
    }
    // Several trips per group, groups with several datasources, and the wide ids were exercised.
    const { rows: shape } = await pool.query<{ max_count: number; multi: number; max_region: number; max_ds: number }>(
      `SELECT max(trip_count)::int AS max_count, count(*) FILTER (WHERE cardinality(datasource_ids) > 1)::int AS multi,
              max(region_id) AS max_region, (SELECT max(datasource_id) FROM gold.weekly_od_cells_${n}) AS max_ds
         FROM gold.trip_group_parts_${n}`,
    );
    expect(shape[0].max_count).toBeGreaterThan(1);
    expect(shape[0].multi).toBeGreaterThan(0);
    expect(shape[0].max_region).toBe(2_147_000_000 + ing.ingestionNo);
    expect(shape[0].max_ds).toBe(2_147_000_000 + ing.ingestionNo);
  });
});
