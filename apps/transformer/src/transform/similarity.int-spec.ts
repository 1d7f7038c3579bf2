import type pg from 'pg';
import { testPool } from '#testing';
import {
  completeIngestion,
  createIngestion,
  insertBronze,
  point,
  transformChunk,
  transformService,
  type BronzeRecord,
} from '../../test/bronze-fixtures.js';
import { cellKey } from '#contracts';

/** Great-circle distance in metres, to state the test's distances honestly. */
function metres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(a));
}

/**
 * Similar trips = same region, origin in the same cell, destination in the same cell, time of day in
 * the same bucket (defaults: 0.01° cells, 30-minute buckets).
 */
describe('similar trips share a group', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  // Centres of 0.01° cells, so a 100 m move cannot leave the cell: the centre is ≥ 0.005° (≈ 350 m
  // east–west at this latitude, 555 m north–south) from every edge.
  const origin = { lon: 16.375, lat: 48.205 };
  const destination = { lon: 16.335, lat: 48.185 };

  async function groupsOf(
    records: Omit<BronzeRecord, 'region'>[],
  ): Promise<
    { origin_cell: string; destination_cell: string; tod_bucket: number; trip_count: string; sources: string[] }[]
  > {
    const ing = await createIngestion(pool);
    const region = `Similarville ${ing.ingestionNo}`;
    const chunk = await insertBronze(
      pool,
      ing.ingestionNo,
      records.map((r) => ({ ...r, region })).sort((a, b) => a.line - b.line),
    );
    const service = transformService(pool);
    const counts = await transformChunk(service, pool, ing, 0, chunk);
    expect(counts.validRows).toBe(records.length);
    await completeIngestion(service, pool, ing, 1);
    const { rows } = await pool.query(
      `SELECT origin_cell, destination_cell, tod_bucket, trip_count,
              (SELECT array_agg(name ORDER BY name) FROM silver.datasources WHERE datasource_id = ANY (g.datasource_ids)) AS sources
       FROM gold.trip_groups g WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = $1)
       ORDER BY trip_count DESC, origin_cell, destination_cell, tod_bucket`,
      [region],
    );
    return rows;
  }

  it('groups near-duplicates 100 m and 5 minutes apart', async () => {
    const nudged = { lon: origin.lon, lat: origin.lat + 0.0009 };
    expect(metres(origin.lon, origin.lat, nudged.lon, nudged.lat)).toBeGreaterThan(99);
    expect(metres(origin.lon, origin.lat, nudged.lon, nudged.lat)).toBeLessThan(101);
    const groups = await groupsOf([
      {
        line: 2,
        origin: point(origin.lon, origin.lat),
        destination: point(destination.lon, destination.lat),
        datetime: '2018-04-02 08:05:00',
        datasource: 'sim_a',
      },
      {
        line: 3,
        origin: point(nudged.lon, nudged.lat),
        destination: point(destination.lon + 0.0013, destination.lat),
        datetime: '2018-04-09 08:10:00',
        datasource: 'sim_b',
      },
    ]);
    expect(groups).toEqual([
      {
        origin_cell: String(cellKey(origin.lon, origin.lat, 0.01)),
        destination_cell: String(cellKey(destination.lon, destination.lat, 0.01)),
        tod_bucket: 16, // 08:00–08:30
        trip_count: '2',
        sources: ['sim_a', 'sim_b'],
      },
    ]);
  });

  it('keeps trips 5 km apart in different groups', async () => {
    const far = { lon: origin.lon, lat: origin.lat + 0.045 };
    expect(metres(origin.lon, origin.lat, far.lon, far.lat)).toBeGreaterThan(4900);
    const groups = await groupsOf([
      {
        line: 2,
        origin: point(origin.lon, origin.lat),
        destination: point(destination.lon, destination.lat),
        datetime: '2018-04-02 08:05:00',
        datasource: 'sim_a',
      },
      {
        line: 3,
        origin: point(far.lon, far.lat),
        destination: point(destination.lon, destination.lat),
        datetime: '2018-04-02 08:05:00',
        datasource: 'sim_a',
      },
    ]);
    expect(groups.map((g) => g.trip_count)).toEqual(['1', '1']);
  });

  it('keeps trips 3 hours apart in different groups', async () => {
    const groups = await groupsOf([
      {
        line: 2,
        origin: point(origin.lon, origin.lat),
        destination: point(destination.lon, destination.lat),
        datetime: '2018-04-02 08:05:00',
        datasource: 'sim_a',
      },
      {
        line: 3,
        origin: point(origin.lon, origin.lat),
        destination: point(destination.lon, destination.lat),
        datetime: '2018-04-02 11:05:00',
        datasource: 'sim_a',
      },
    ]);
    expect(groups.map((g) => [g.tod_bucket, g.trip_count])).toEqual([
      [16, '1'],
      [22, '1'],
    ]);
  });
});
