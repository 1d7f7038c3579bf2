import type pg from 'pg';
import { REJECT_REASONS } from '#contracts';
import { testPool } from '#testing';
import {
  completeIngestion,
  createIngestion,
  insertBronze,
  point,
  transformChunk,
  transformService,
  type BronzeRecord,
  type TestIngestion,
} from '../../test/bronze-fixtures.js';
import { cellKey } from '#contracts';
import type { TransformService } from './transform.service.js';

describe('segments: bronze chunks → silver, rejects and gold', () => {
  let pool: pg.Pool;
  let service: TransformService;

  beforeAll(() => {
    pool = testPool();
    service = transformService(pool);
  });
  afterAll(async () => {
    await pool.end();
  });

  /** Stores the records as chunk `seq` and builds them into a segment at once. */
  const transform = async (ing: TestIngestion, records: BronzeRecord[], seq = 0) =>
    transformChunk(service, pool, ing, seq, await insertBronze(pool, ing.ingestionNo, records, seq));

  const ok = {
    region: 'Prague',
    origin: point(14.4973794438195, 50.00136875782316),
    destination: point(14.43109483523328, 50.04052930943246),
    datetime: '2018-05-28 09:03:40',
    datasource: 'funny_car',
  };

  it('types valid rows (x = longitude, y = latitude) and rejects each bad row with the first failing reason', async () => {
    const ing = await createIngestion(pool);
    const { ingestionNo } = ing;
    const records: BronzeRecord[] = [
      { line: 2, ...ok },
      { line: 3, ...ok, datetime: '2018-05-28 9:03:40' }, // unpadded hour
      { line: 4, ...ok, region: 'Santiago', origin: point(-70.6483, -33.4569), destination: point(-70.5, -33.3) }, // negative
      { line: 5, ...ok, region: '  prague ', origin: ' point(  -7.5E1\t+4.5e1 ) ', datetime: '2018-05-28T23:59:59' }, // flexible
      { line: 6, ...ok, datetime: '2016-02-29 12:00:00' }, // leap day
      { line: 7, ...ok, origin: 'LINESTRING (14.4 50.0, 14.5 50.1)' },
      { line: 8, ...ok, origin: '14.4973 50.0013' },
      { line: 9, ...ok, destination: 'POINT (14.43)' },
      { line: 10, ...ok, origin: point(14.4, 95) },
      { line: 11, ...ok, destination: point(200, 50) },
      { line: 12, ...ok, datetime: '2018-02-30 10:00:00' },
      { line: 13, ...ok, datetime: '2018-05-28 24:00:00' },
      { line: 14, ...ok, datetime: '28/05/2018 10:00' },
      { line: 15, ...ok, region: '   ' },
      { line: 16, ...ok, datasource: '' },
      { line: 17, raw: 'Prague,POINT (14.4 50.0),2018-05-28 09:03:40,funny_car' },
      { line: 18, raw: 'Pr\uFFFDgue,POINT (14.4 50.0),POINT (14.4 50.0),2018-05-28 09:03:40' },
      { line: 19, ...ok, region: '', origin: 'nowhere', datetime: 'never' }, // several failures: the first wins
      { line: 20, ...ok, origin: 'nowhere', datetime: 'never' },
      { line: 21, ...ok, datetime: '1900-02-29 10:00:00' }, // not a leap year
      { line: 22, ...ok, datetime: '0000-01-01 10:00:00' },
      { line: 23, ...ok, origin: 'POINT (1e400 0)' }, // would overflow float8: must not raise
      { line: 24, ...ok, origin: point(1e99, 0) },
      { line: 25, ...ok, origin: 'POINT (NaN 0)' },
      { line: 26, ...ok, origin: `POINT (14.${'4'.repeat(120)} 50.0)` },
      { line: 27, ...ok, datetime: '2018-05-28 09:60:00' },
      { line: 28, ...ok, datasource: 'cheap\uFFFDmobile' },
    ];
    const counts = await transform(ing, records);
    await completeIngestion(service, pool, ing, 1);
    expect(counts).toEqual({ totalRows: records.length, validRows: 5, rejectedRows: records.length - 5 });

    const rejects = await pool.query<{
      line_no: string;
      reason: string;
      region: string | null;
      origin_coord: string | null;
      raw_record: string | null;
    }>(
      'SELECT line_no, reason, region, origin_coord, raw_record FROM silver.rejects WHERE ingestion_no = $1 ORDER BY line_no',
      [ingestionNo],
    );
    expect(Object.fromEntries(rejects.rows.map((r) => [Number(r.line_no), r.reason]))).toEqual({
      7: 'bad_origin',
      8: 'bad_origin',
      9: 'bad_destination',
      10: 'origin_out_of_range',
      11: 'destination_out_of_range',
      12: 'invalid_datetime',
      13: 'invalid_datetime',
      14: 'bad_datetime',
      15: 'missing_region',
      16: 'missing_datasource',
      17: 'field_count',
      18: 'invalid_encoding',
      19: 'missing_region',
      20: 'bad_origin',
      21: 'invalid_datetime',
      22: 'invalid_datetime',
      23: 'bad_origin',
      24: 'origin_out_of_range',
      25: 'bad_origin',
      26: 'bad_origin',
      27: 'invalid_datetime',
      28: 'invalid_encoding',
    });
    for (const r of rejects.rows) expect(Object.keys(REJECT_REASONS)).toContain(r.reason);
    // Raw values are kept exactly as uploaded.
    const byLine = new Map(rejects.rows.map((r) => [Number(r.line_no), r]));
    expect(byLine.get(7)?.origin_coord).toBe('LINESTRING (14.4 50.0, 14.5 50.1)');
    expect(byLine.get(15)?.region).toBe('   ');
    expect(byLine.get(17)?.raw_record).toBe(records[15].raw);

    const silver = await pool.query<{
      line_no: string;
      region: string;
      datasource: string;
      origin_lon: number;
      origin_lat: number;
      destination_lon: number;
      destination_lat: number;
      occurred_at: string;
      origin_cell: string;
      destination_cell: string;
      tod_bucket: number;
    }>(
      `SELECT t.line_no, r.name AS region, d.name AS datasource, t.origin_lon, t.origin_lat, t.destination_lon, t.destination_lat,
              to_char(t.occurred_at, 'YYYY-MM-DD HH24:MI:SS') AS occurred_at, t.origin_cell, t.destination_cell, t.tod_bucket
       FROM silver.trips t JOIN silver.regions r USING (region_id) JOIN silver.datasources d USING (datasource_id)
       WHERE t.ingestion_no = $1 ORDER BY t.line_no`,
      [ingestionNo],
    );
    expect(silver.rows.map((r) => Number(r.line_no))).toEqual([2, 3, 4, 5, 6]);
    const [first, unpadded, negative, flexible, leap] = silver.rows;
    expect(first).toMatchObject({
      region: 'Prague',
      datasource: 'funny_car',
      origin_lon: 14.4973794438195,
      origin_lat: 50.00136875782316,
      destination_lon: 14.43109483523328,
      destination_lat: 50.04052930943246,
      occurred_at: '2018-05-28 09:03:40',
      tod_bucket: 18, // 09:00–09:30
    });
    expect(Number(first.origin_cell)).toBe(cellKey(14.4973794438195, 50.00136875782316, 0.01));
    expect(Number(first.destination_cell)).toBe(cellKey(14.43109483523328, 50.04052930943246, 0.01));
    expect(unpadded).toMatchObject({ occurred_at: '2018-05-28 09:03:40', tod_bucket: 18 });
    expect(negative).toMatchObject({
      region: 'Santiago',
      origin_lon: -70.6483,
      origin_lat: -33.4569,
      destination_lon: -70.5,
      destination_lat: -33.3,
    });
    expect(Number(negative.origin_cell)).toBe(cellKey(-70.6483, -33.4569, 0.01));
    // Regions are matched case-insensitively after trimming; the first spelling names the region.
    expect(flexible).toMatchObject({
      region: 'Prague',
      origin_lon: -75,
      origin_lat: 45,
      occurred_at: '2018-05-28 23:59:59',
      tod_bucket: 47,
    });
    expect(leap.occurred_at).toBe('2016-02-29 12:00:00');
  });

  it('maintains gold: group counts add up to silver, weeks start on Monday', async () => {
    const ing = await createIngestion(pool);
    const { ingestionNo } = ing;
    const region = `Weekville ${ingestionNo}`;
    // 2018-06-03 is a Sunday, 2018-06-04 a Monday.
    const at = (line: number, datetime: string, datasource = 'weekly_source'): BronzeRecord => ({
      line,
      region,
      origin: point(-120.1234, 38.5),
      destination: point(-120.2, 38.6),
      datetime,
      datasource,
    });
    const week = [
      at(2, '2018-06-03 23:59:59'),
      at(3, '2018-06-03 08:00:00'),
      at(4, '2018-06-04 00:00:00'),
      at(5, '2018-06-04 00:00:01', 'other_source'),
      at(6, '2018-06-10 12:00:00'),
      at(7, '2018-06-11 12:00:00'),
      {
        line: 8,
        region,
        origin: point(-120.1, 38.5),
        destination: 'bad',
        datetime: '2018-06-04 10:00:00',
        datasource: 'weekly_source',
      },
    ];
    await expect(transform(ing, week)).resolves.toEqual({ totalRows: 7, validRows: 6, rejectedRows: 1 });
    await completeIngestion(service, pool, ing, 1);

    const groups = await pool.query<{ trips: string; silver: string }>(
      `SELECT (SELECT sum(trip_count) FROM gold.trip_groups WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = $1)) AS trips,
              (SELECT count(*) FROM silver.trips WHERE ingestion_no = $2) AS silver`,
      [region, ingestionNo],
    );
    expect(groups.rows[0]).toEqual({ trips: '6', silver: '6' });

    const weeks = await pool.query<{ week_start: string; trips: string }>(
      `SELECT to_char(week_start, 'YYYY-MM-DD') AS week_start, sum(trips) AS trips FROM gold.weekly_region_counts
       WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = $1) GROUP BY 1 ORDER BY 1`,
      [region],
    );
    expect(weeks.rows.map((r) => [r.week_start, Number(r.trips)])).toEqual([
      ['2018-05-28', 2],
      ['2018-06-04', 3],
      ['2018-06-11', 1],
    ]);

    const origin = cellKey(-120.1234, 38.5, 0.01);
    const destination = cellKey(-120.2, 38.6, 0.01);
    const cells = await pool.query<{ o: string; d: string; od: string; per_source: number }>(
      `SELECT (SELECT sum(trips) FROM gold.weekly_origin_cells WHERE origin_cell = $1) AS o,
              (SELECT sum(trips) FROM gold.weekly_destination_cells WHERE destination_cell = $2) AS d,
              (SELECT sum(trips) FROM gold.weekly_od_cells WHERE origin_cell = $1 AND destination_cell = $2) AS od,
              (SELECT trips FROM gold.weekly_origin_cells o JOIN silver.datasources s USING (datasource_id)
                WHERE o.origin_cell = $1 AND s.name = 'other_source' AND o.week_start = '2018-06-04') AS per_source`,
      [origin, destination],
    );
    // sums are bigint (text), a segment's count an integer (migration 0020)
    expect(cells.rows[0]).toEqual({ o: '6', d: '6', od: '6', per_source: 1 });
  });

  it('adds counts to existing gold rows across segments', async () => {
    const ing = await createIngestion(pool);
    const region = `Chunkville ${ing.ingestionNo}`;
    const trip = (line: number, datasource: string, datetime: string): BronzeRecord => ({
      line,
      region,
      origin: point(100.005, 10.005),
      destination: point(100.015, 10.015),
      datetime,
      datasource,
    });
    await transform(ing, [trip(2, 'b_source', '2018-03-05 10:01:00')], 0);
    await transform(ing, [trip(3, 'a_source', '2018-03-06 10:20:00'), trip(4, 'b_source', '2018-03-04 10:10:00')], 1);
    await completeIngestion(service, pool, ing, 2);
    const { rows } = await pool.query(
      `SELECT trip_count, to_char(first_seen, 'YYYY-MM-DD HH24:MI') AS first_seen, to_char(last_seen, 'YYYY-MM-DD HH24:MI') AS last_seen,
              (SELECT array_agg(name ORDER BY name) FROM silver.datasources WHERE datasource_id = ANY (g.datasource_ids)) AS sources,
              datasource_ids = (SELECT array_agg(x ORDER BY x) FROM unnest(g.datasource_ids) x) AS sorted
       FROM gold.trip_groups g WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = $1)`,
      [region],
    );
    expect(rows).toEqual([
      {
        trip_count: '3',
        first_seen: '2018-03-04 10:10',
        last_seen: '2018-03-06 10:20',
        sources: ['a_source', 'b_source'],
        sorted: true,
      },
    ]);
  });
});
