import pg from 'pg';
import { dropDatabase } from '#db';
import { freshDatabase, seededRandom } from '#testing';
import {
  groupKeyOf,
  TripGroupsRepository,
  type GroupFilter,
  type GroupKey,
  type GroupRow,
} from './trip-groups.repository.js';

/**
 * The repository's pages against the view gold.trip_groups sorted in full (brute force), on several
 * segments whose parts of the same groups have skewed sizes: the threshold top-k (top-groups.ts over
 * the index of migration 0019) must give exactly the pages the view gives, for every filter and page.
 */
/** The first origin cell's x index (cell key 2^43 = row 0, x -2^21). */
const X0 = -(2 ** 21);

describe('TripGroupsRepository: pages by the size lists equal the view sorted in full', () => {
  let url: string;
  let pool: pg.Pool;
  let repository: TripGroupsRepository;

  beforeAll(async () => {
    url = await freshDatabase('trip_groups_top');
    pool = new pg.Pool({ connectionString: url, max: 4 });
    repository = new TripGroupsRepository(pool);
    await pool.query(
      `INSERT INTO silver.regions (name, name_key) VALUES ('Big', 'big'), ('Small', 'small'), ('Mid', 'mid')`,
    );
    await pool.query(`INSERT INTO silver.datasources (name) VALUES ('a'), ('b')`);
    const { rows: regions } = await pool.query<{ region_id: number }>(
      'SELECT region_id FROM silver.regions ORDER BY name',
    );
    // Four segments; groups drawn from a key space small enough that most span several segments,
    // sizes heavy-tailed (most parts of one trip, as real data has), a region of 21,000+ parts.
    const next = seededRandom(7);
    for (const segment of [1, 2, 3, 4]) {
      await pool.query(
        `CREATE TABLE gold.trip_group_parts_${segment} PARTITION OF gold.trip_group_parts FOR VALUES IN (${segment})`,
      );
      const rows = new Map<string, unknown[]>();
      for (let i = 0; i < 12_000; i++) {
        const r = next();
        const region = regions[r < 0.02 ? 2 : r < 0.3 ? 1 : 0].region_id; // Small 2 %, Mid 28 %, Big 70 %
        const origin = 8_796_093_022_208 + Math.floor(next() * 60);
        const destination = 8_796_093_022_208 + Math.floor(next() * 60);
        const bucket = Math.floor(next() * 4);
        const u = next();
        const count = u < 0.7 ? 1 : u < 0.95 ? 2 + Math.floor(next() * 4) : 5 + Math.floor(next() ** 3 * 200);
        rows.set([region, origin, destination, bucket].join(), [region, origin, destination, bucket, count]);
      }
      const parts = [...rows.values()];
      await pool.query(
        `INSERT INTO gold.trip_group_parts (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen, last_seen, datasource_ids, segment_no)
         SELECT r, o, d, t, c, '2018-01-01'::timestamp + make_interval(days => ($6::int + c % 5)::int), '2018-06-01'::timestamp + make_interval(days => $6::int),
                CASE WHEN c % 2 = 0 THEN '{1,2}'::int[] ELSE ARRAY[1 + $6::int % 2] END, $6
           FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::smallint[], $5::bigint[]) AS u(r, o, d, t, c)`,
        [...[0, 1, 2, 3, 4].map((k) => parts.map((p) => p[k])), segment],
      );
    }
    await pool.query('ANALYZE gold.trip_group_parts');
  });

  afterAll(async () => {
    await pool?.end();
    if (url) await dropDatabase(url);
  });

  /** Every group the filter selects, sorted in full: what each page must be a slice of. */
  async function bruteForce(filter: Omit<GroupFilter, 'limit' | 'after'>): Promise<string[]> {
    const where: string[] = [];
    if (filter.region)
      where.push(`g.region_id = (SELECT region_id FROM silver.regions WHERE name = '${filter.region}')`);
    if (filter.todBucket !== undefined) where.push(`g.tod_bucket = ${filter.todBucket}`);
    const box = filter.originCells;
    if (box)
      where.push(
        `silver.cell_x(g.origin_cell) BETWEEN ${box.x.lo} AND ${box.x.hi} AND silver.cell_y(g.origin_cell) BETWEEN ${box.y.lo} AND ${box.y.hi}`,
      );
    const { rows } = await pool.query<GroupRow>(
      `SELECT g.region_id, r.name AS region, g.origin_cell, g.destination_cell, g.tod_bucket, g.trip_count,
              to_char(g.first_seen, 'YYYY-MM-DD"T"HH24:MI:SS') AS first_seen, to_char(g.last_seen, 'YYYY-MM-DD"T"HH24:MI:SS') AS last_seen,
              ARRAY(SELECT d.name FROM silver.datasources d WHERE d.datasource_id = ANY (g.datasource_ids) ORDER BY d.name) AS datasources
         FROM gold.trip_groups g JOIN silver.regions r USING (region_id)
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY g.trip_count DESC, g.region_id, g.origin_cell, g.destination_cell, g.tod_bucket`,
    );
    return rows.map((r) => JSON.stringify(r));
  }

  it.each<[string, Omit<GroupFilter, 'limit' | 'after'>]>([
    ['no filter', {}],
    ['a large region', { region: 'Big' }],
    ['a small region (added up at once)', { region: 'Small' }],
    ['a time of day', { todBucket: 2 }],
    ['a region and a time of day', { region: 'Mid', todBucket: 1 }],
    // The origin cells are cx = -2^21 + 0..59 in row cy = 0.
    ['a box of most cells (by the size lists)', { originCells: { x: { lo: X0, hi: X0 + 44 }, y: { lo: 0, hi: 0 } } }],
    // 30,001 rows × 3 regions: too many index descents to count the parts first (the size lists).
    ['a tall box', { originCells: { x: { lo: X0, hi: X0 + 20 }, y: { lo: -30_000, hi: 0 } } }],
    [
      'a box of a few cells (added up at once)',
      { originCells: { x: { lo: X0 + 3, hi: X0 + 12 }, y: { lo: -1, hi: 0 } } },
    ],
    [
      'a box, a region and a time of day',
      { region: 'Big', todBucket: 3, originCells: { x: { lo: X0, hi: X0 + 40 }, y: { lo: 0, hi: 0 } } },
    ],
  ])('%s: the first pages and a deep one, by cursor, are the sorted view', async (_, filter) => {
    const expected = await bruteForce(filter);
    expect(expected.length).toBeGreaterThan(100);
    for (const limit of [1, 10, 51]) {
      const got: string[] = [];
      let after: GroupKey | undefined;
      for (let page = 0; page < 4; page++) {
        const rows = await repository.page({ ...filter, limit, after });
        got.push(...rows.map((r) => JSON.stringify(r)));
        after = rows.length ? groupKeyOf(rows.at(-1)!) : undefined;
      }
      expect(got).toEqual(expected.slice(0, got.length));
      expect(got).toHaveLength(Math.min(4 * limit, expected.length));
    }
    // A page deep in the groups of one or two trips: the lists cannot decide it, the view does.
    const deep = JSON.parse(expected[expected.length - 20]) as GroupRow;
    const rows = await repository.page({ ...filter, limit: 30, after: groupKeyOf(deep) });
    expect(rows.map((r) => JSON.stringify(r))).toEqual(expected.slice(expected.length - 19));
  });
});
