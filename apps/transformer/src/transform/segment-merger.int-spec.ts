import type pg from 'pg';
import { testEnv, testPool } from '#testing';
import { createIngestion, generateBronze, transformService } from '../../test/bronze-fixtures.js';
import { SegmentMerger } from './segment-merger.js';
import { SegmentRepository } from './segment.repository.js';

describe('SegmentMerger: segments merged into one, every answer unchanged', () => {
  let pool: pg.Pool;

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  /** What every layer holds for the test's region, as the queries read it. */
  async function totals(region: string) {
    const { rows } = await pool.query(
      `WITH r AS (SELECT region_id FROM silver.regions WHERE name = $1)
       SELECT (SELECT count(*)::int FROM silver.trips WHERE region_id = (SELECT region_id FROM r)) AS silver,
              (SELECT sum(trip_count)::int FROM gold.trip_groups WHERE region_id = (SELECT region_id FROM r)) AS groups,
              (SELECT count(*)::int FROM gold.trip_groups WHERE region_id = (SELECT region_id FROM r)) AS group_rows,
              (SELECT sum(trips)::int FROM gold.weekly_origin_cells o
                WHERE o.origin_cell IN (SELECT origin_cell FROM silver.trips WHERE region_id = (SELECT region_id FROM r))) AS origin_cells,
              (SELECT sum(trips)::int FROM gold.weekly_od_cells o
                WHERE (o.origin_cell, o.destination_cell) IN
                      (SELECT origin_cell, destination_cell FROM silver.trips WHERE region_id = (SELECT region_id FROM r))) AS od_cells`,
      [region],
    );
    return rows[0];
  }

  it('merges a full tier of segments, keeping every count, and drops the merged partitions', async () => {
    const service = transformService(pool, { SEGMENT_ROWS: 30, SEGMENT_MAX_ROWS: 30 });
    const ing = await createIngestion(pool, { totalChunks: 5, bronzeCompleted: true, totalRows: 150 });
    // Far from every other spec's coordinates, so the cell sums below see only these trips.
    const at = { region: `Mergeville ${ing.ingestionNo}`, lon: -150.5, lat: -60.5 };
    for (let seq = 0; seq < 5; seq++) await generateBronze(pool, ing.ingestionNo, 2 + seq * 30, 30, at, seq);
    for (let seq = 0; seq < 5; seq++) {
      await service.handleChunk({
        kind: 'chunk',
        ...ing,
        seq,
        firstLine: 2 + seq * 30,
        lastLine: 31 + seq * 30,
        rows: 30,
      });
    }
    const { rows: built } = await pool.query<{ segment_no: number }>(
      'SELECT segment_no FROM meta.segments WHERE ingestion_no = $1 ORDER BY segment_no',
      [ing.ingestionNo],
    );
    expect(built).toHaveLength(5);
    // Each segment records its extent: the smallest box around both ends of its trips.
    const extentSql = `SELECT s.segment_no, s.min_lon = min(least(t.origin_lon, t.destination_lon))
                              AND s.min_lat = min(least(t.origin_lat, t.destination_lat))
                              AND s.max_lon = max(greatest(t.origin_lon, t.destination_lon))
                              AND s.max_lat = max(greatest(t.origin_lat, t.destination_lat)) AS exact
                         FROM meta.segments s JOIN silver.trips t USING (segment_no)
                        WHERE s.segment_no = ANY($1::int[]) GROUP BY s.segment_no ORDER BY 1`;
    const extents = await pool.query<{ exact: boolean }>(extentSql, [built.map((b) => b.segment_no)]);
    expect(extents.rows.map((r) => r.exact)).toEqual([true, true, true, true, true]);
    const before = await totals(at.region);
    expect(before).toMatchObject({ silver: 150, groups: 150, origin_cells: 150, od_cells: 150 });

    // Merge only this spec's segments: a policy whose lowest tier these alone fill.
    const env = { ...testEnv(), SEGMENT_ROWS: 30, MERGE_FAN_IN: 4, MERGE_MAX_ROWS: 1_000, MERGE_QUIET_MS: 0 };
    const segments = new SegmentRepository();
    const others = (await segments.listSegments(pool)).filter((s) => !built.some((b) => b.segment_no === s.segmentNo));
    await pool.query('UPDATE meta.segments SET valid_rows = valid_rows + 1000 WHERE segment_no = ANY($1::int[])', [
      others.map((s) => s.segmentNo),
    ]);
    try {
      const merger = new SegmentMerger(pool, segments, env);
      const merged = await merger.mergeWhileDue();
      expect(merged).toHaveLength(1);
      expect(merged[0]).toMatchObject({ sources: built.slice(0, 4).map((b) => b.segment_no), rows: 120 });
      expect(await totals(at.region)).toEqual(before);

      const { rows: partitions } = await pool.query<{ relname: string }>(
        `SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
          WHERE h.inhparent = 'silver.trips'::regclass AND c.relname = ANY($1::text[])`,
        [[...built.map((b) => `trips_${b.segment_no}`), `trips_${merged[0].segmentNo}`]],
      );
      expect(partitions.map((p) => p.relname).sort()).toEqual(
        [`trips_${built[4].segment_no}`, `trips_${merged[0].segmentNo}`].sort(),
      );
      const { rows: recorded } = await pool.query(
        'SELECT ingestion_no, merged_from, rows::int FROM meta.segments WHERE segment_no = $1',
        [merged[0].segmentNo],
      );
      expect(recorded).toEqual([
        { ingestion_no: null, merged_from: built.slice(0, 4).map((b) => b.segment_no), rows: 120 },
      ]);
      // The merged segment's extent is the union of its sources'.
      expect((await pool.query(extentSql, [[merged[0].segmentNo]])).rows).toEqual([
        { segment_no: merged[0].segmentNo, exact: true },
      ]);
      // The merged silver partition is all-visible after the merge's VACUUM: index-only scans skip its heap.
      const { rows: visible } = await pool.query<{ all_visible: boolean }>(
        `SELECT relallvisible = relpages AS all_visible FROM pg_class WHERE oid = $1::regclass`,
        [`silver.trips_${merged[0].segmentNo}`],
      );
      expect(visible[0].all_visible).toBe(true);
    } finally {
      await pool.query('UPDATE meta.segments SET valid_rows = valid_rows - 1000 WHERE segment_no = ANY($1::int[])', [
        others.map((s) => s.segmentNo),
      ]);
    }
  });
});
