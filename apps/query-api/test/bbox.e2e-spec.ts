import fc from 'fast-check';
import { Publisher, createKafka } from '#kafka';
import {
  eventually,
  ingestFile,
  startPipeline,
  startService,
  testEnv,
  waitForIngestion,
  type Pipeline,
  type RunningService,
} from '#testing';
import { CITIES, HEADER, rowGenerator } from '../../../scripts/bench/generate.js';
import {
  bruteForceRegionWeekly,
  bruteForceWeekly,
  averageFields,
  getJson,
  nonZero,
  psqlFile,
  type Match,
  type WeeksMode,
} from './helpers.js';

type Box = [number, number, number, number];
const MATCHES: Match[] = ['origin', 'destination', 'both', 'any'];
const WEEKS: (WeeksMode | undefined)[] = [undefined, 'period', 'active'];

/**
 * Trips placed exactly on cell borders and corners (multiples of 0.01°) and a hair on either side,
 * so boxes aligned on the grid have trips on their edges and in the cells next to them.
 */
function borderRows(): string {
  const rows: string[] = [];
  const hair = [0, 1e-12, -1e-12, 1e-9, -1e-9];
  let i = 0;
  for (const city of CITIES.slice(0, 3)) {
    const x0 = Math.round(city.lon * 100) / 100;
    const y0 = Math.round(city.lat * 100) / 100;
    for (let dx = -3; dx <= 3; dx++) {
      for (let dy = -3; dy <= 3; dy++) {
        const h = hair[i++ % hair.length];
        const lon = Number((x0 + dx / 100).toFixed(2)) + h;
        const lat = Number((y0 + dy / 100).toFixed(2)) - h;
        const dlon = Number((x0 - dy / 100).toFixed(2));
        const dlat = Number((y0 + dx / 100).toFixed(2)) + h;
        const day = 1 + (((dx + 3) * 7 + dy + 3) % 28);
        rows.push(
          `${city.region},POINT (${lon} ${lat}),POINT (${dlon} ${dlat}),2018-02-${String(day).padStart(2, '0')} 0${(dx + 3) % 10}:15:00,border_source`,
        );
      }
    }
  }
  return rows.join('\n') + '\n';
}

/**
 * Trips on the borders of the cells' sub-rows of latitude (multiples of 0.001°, area/grid.ts
 * SUB_ROWS) and a hair on either side, along a few longitudes on and between those multiples, so
 * boxes on the 0.001° grid cut cells through sub-row borders with trips on them.
 */
const SUB_ROW_TRIPS = 25 * 5;
function subRowRows(): string {
  const rows: string[] = [];
  const hair = [0, 1e-12, -1e-12, 1e-9, -1e-9];
  const city = CITIES[1];
  const x0 = Math.round(city.lon * 100) / 100;
  const y0 = Math.round(city.lat * 100) / 100;
  for (let k = -12; k <= 12; k++) {
    for (let j = 0; j < 5; j++) {
      const lat = Number((y0 + k / 1000).toFixed(3)) + hair[(k + 12 + j) % hair.length];
      const lon = Number((x0 + (j - 2) * 0.0035).toFixed(4)) - hair[j];
      rows.push(
        `${city.region},POINT (${lon} ${lat}),POINT (${lat - y0 + x0} ${lon - x0 + y0}),2018-04-${String(2 + j).padStart(2, '0')} 10:00:00,sub_source`,
      );
    }
  }
  return rows.join('\n') + '\n';
}

/**
 * Coordinates just below a multiple of 0.01° that `floor(x / 0.01)` nevertheless puts in the cell
 * starting at that multiple (floating point): e.g. -0.030000000000000002 lands in cell -3, whose
 * west edge is -0.03. A box starting at -0.03 must not count them, so that cell cannot be summed
 * from gold as a whole: the margin makes it an edge cell.
 */
const FP_EDGES: [edge: number, below: number][] = [
  [-0.03, -0.030000000000000002],
  [-0.06, -0.060000000000000005],
  [-0.09, -0.09000000000000001],
  [-0.12, -0.12000000000000001],
  [-0.18, -0.18000000000000002],
  [-0.21, -0.21000000000000002],
];

function fpEdgeRows(): string {
  const rows: string[] = [];
  for (const [ex, bx] of FP_EDGES) {
    for (const [ey, by] of FP_EDGES) {
      rows.push(`Null Island,POINT (${bx} ${by}),POINT (${ex} ${ey}),2018-03-05 12:00:00,fp_source`);
      rows.push(`Null Island,POINT (${ex} ${ey}),POINT (${bx} ${ey}),2018-03-12 12:00:00,fp_source`);
    }
  }
  return rows.join('\n') + '\n';
}

describe('bounding-box weekly average is exact (property tests against a brute-force count over silver)', () => {
  let pipeline: Pipeline;
  let api: RunningService;
  let points: { lon: number; lat: number }[];
  let datasources: string[];
  let totalTrips: number;

  beforeAll(async () => {
    pipeline = await startPipeline('query_bbox');
    const csv = HEADER + rowGenerator(7)(3000) + borderRows() + fpEdgeRows() + subRowRows();
    const done = await ingestFile(pipeline, Buffer.from(csv));
    expect(Number(done.rejected_rows)).toBe(0);
    api = await startService('query-api', pipeline.env);
    const { rows } = await pipeline.pool.query<{ lon: number; lat: number }>(
      'SELECT origin_lon AS lon, origin_lat AS lat FROM silver.trips UNION SELECT destination_lon, destination_lat FROM silver.trips',
    );
    points = rows;
    datasources = (
      await pipeline.pool.query<{ name: string }>('SELECT name FROM silver.datasources ORDER BY name')
    ).rows.map((r) => r.name);
    totalTrips = Number((await pipeline.pool.query('SELECT count(*) AS n FROM silver.trips')).rows[0].n);
    expect(totalTrips).toBe(3000 + 3 * 49 + 2 * FP_EDGES.length ** 2 + SUB_ROW_TRIPS);
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await pipeline?.stop();
  });

  type Extra = { datasource?: string; from?: string; to?: string; weeks?: WeeksMode };
  const defined = (extra: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(extra).filter((e): e is [string, string] => e[1] !== undefined));
  const query = (box: Box, match: Match, extra: Extra = {}) =>
    getJson(
      api.url,
      `/api/v1/trips/weekly-average?${new URLSearchParams({ bbox: box.join(','), match, ...defined(extra) }).toString()}`,
    );

  /**
   * Asserts the API's answer equals the brute-force count, week by week, and that its average divides
   * by what `weeks` asks: every week of the period, or the weeks the brute force found trips in.
   */
  async function expectExact(box: Box, match: Match, extra: Extra = {}) {
    const { status, body } = await query(box, match, extra);
    expect(status).toBe(200);
    const brute = await bruteForceWeekly(pipeline.pool, box, match, { datasource: extra.datasource });
    const weeks = new Set(body.series.map((w: { weekStart: string }) => w.weekStart));
    const expected = new Map([...brute].filter(([week]) => weeks.has(week)));
    expect({ box, match, extra, series: nonZero(body.series) }).toEqual({ box, match, extra, series: expected });
    expect(body.totalTrips).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    const average = averageFields(body, extra.weeks, expected.size);
    expect(average.actual).toEqual(average.expected);
    if (extra.weeks === 'active' && expected.size > 0 && expected.size < body.weeks) sparseActive++;
    return body.totalTrips as number;
  }
  /** Answers with weeks=active where some but not all weeks have trips (the two modes differ). */
  let sparseActive = 0;

  // Boxes: around a city centre or an actual trip point, 0.0005° (a street) to 0.6° (a whole city)
  // wide, with free bounds, bounds on the 0.01° grid, bounds through actual trip coordinates, or
  // degenerate (a line or a point).
  const arbBox = () =>
    fc
      .record({
        anchor: fc.oneof(
          fc.record({
            city: fc.integer({ min: 0, max: CITIES.length - 1 }),
            dx: fc.double({ min: -0.15, max: 0.15, noNaN: true }),
            dy: fc.double({ min: -0.1, max: 0.1, noNaN: true }),
          }),
          fc.nat(),
        ),
        logW: fc.double({ min: Math.log(0.0005), max: Math.log(0.6), noNaN: true }),
        logH: fc.double({ min: Math.log(0.0005), max: Math.log(0.6), noNaN: true }),
        align: fc.constantFrom('free', 'grid', 'subgrid', 'points', 'line', 'point'),
        pick: fc.tuple(fc.nat(), fc.nat()),
      })
      .map(({ anchor, logW, logH, align, pick }): Box => {
        const c =
          typeof anchor === 'number'
            ? points[anchor % points.length]
            : { lon: CITIES[anchor.city].lon + anchor.dx, lat: CITIES[anchor.city].lat + anchor.dy };
        const w = Math.exp(logW);
        const h = Math.exp(logH);
        let box: Box = [c.lon - w / 2, c.lat - h / 2, c.lon + w / 2, c.lat + h / 2];
        if (align === 'grid') box = box.map((v) => Number((Math.round(v * 100) / 100).toFixed(2))) as Box;
        if (align === 'subgrid') box = box.map((v) => Number((Math.round(v * 1000) / 1000).toFixed(3))) as Box;
        if (align === 'points') {
          // Bounds through real trip coordinates: those trips lie exactly on the edges.
          const near = points.filter((p) => p.lon >= box[0] && p.lon <= box[2] && p.lat >= box[1] && p.lat <= box[3]);
          if (near.length >= 2) {
            const a = near[pick[0] % near.length];
            const b = near[pick[1] % near.length];
            box = [Math.min(a.lon, b.lon), Math.min(a.lat, b.lat), Math.max(a.lon, b.lon), Math.max(a.lat, b.lat)];
          }
        }
        if (align === 'line') box = [c.lon, box[1], c.lon, box[3]];
        if (align === 'point') box = [c.lon, c.lat, c.lon, c.lat];
        return box.map((v, i) => Math.max(-(i % 2 ? 90 : 180), Math.min(i % 2 ? 90 : 180, v))) as Box;
      });

  it('random boxes, every match mode', async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(arbBox(), fc.constantFrom(...MATCHES), fc.constantFrom(...WEEKS), async (box, match, weeks) => {
        if ((await expectExact(box, match, { weeks })) > 0) nonEmpty++;
      }),
      { numRuns: 250 },
    );
    // The property must not pass vacuously.
    expect(nonEmpty).toBeGreaterThan(50);
    expect(sparseActive).toBeGreaterThan(10);
  });

  it('random boxes with a datasource and a period', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbBox(),
        fc.constantFrom(...MATCHES),
        fc.nat(),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(...WEEKS),
        async (box, match, ds, startDay, days, weeks) => {
          const from = new Date(Date.UTC(2018, 0, 1) + startDay * 86_400_000).toISOString().slice(0, 10);
          const to = new Date(Date.UTC(2018, 0, 1) + (startDay + days) * 86_400_000).toISOString().slice(0, 10);
          await expectExact(box, match, { datasource: datasources[ds % datasources.length], from, to, weeks });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('regions with weeks=active and period, with and without a datasource and a period, against a brute-force count', async () => {
    const regions = (await pipeline.pool.query<{ name: string }>('SELECT name FROM silver.regions ORDER BY name')).rows;
    let sparse = 0;
    for (const { name } of regions) {
      for (const extra of [
        {},
        { datasource: datasources[0] },
        { datasource: datasources[1], from: '2018-02-01', to: '2018-04-15' },
        { from: '2018-03-01', to: '2018-03-20' },
        { datasource: 'border_source' },
        { datasource: 'no_such_source' },
      ] as { datasource?: string; from?: string; to?: string }[]) {
        for (const weeks of WEEKS) {
          const params = new URLSearchParams({ region: name, ...defined({ ...extra, weeks }) });
          const { status, body } = await getJson(api.url, `/api/v1/trips/weekly-average?${params.toString()}`);
          expect(status).toBe(200);
          const inPeriod = new Set(body.series.map((w: { weekStart: string }) => w.weekStart));
          const brute = await bruteForceRegionWeekly(pipeline.pool, name, extra.datasource);
          const expected = new Map([...brute].filter(([week]) => inPeriod.has(week)));
          expect({ name, extra, series: nonZero(body.series) }).toEqual({ name, extra, series: expected });
          const average = averageFields(body, weeks, expected.size);
          expect(average.actual).toEqual(average.expected);
          if (weeks === 'active' && expected.size > 0 && expected.size < body.weeks) sparse++;
        }
      }
    }
    expect(sparse).toBeGreaterThan(0);
  });

  it('boxes exactly on cell borders around the border trips, and degenerate boxes through them', async () => {
    for (const city of CITIES.slice(0, 3)) {
      const x = Math.round(city.lon * 100) / 100;
      const y = Math.round(city.lat * 100) / 100;
      const f = (v: number) => Number(v.toFixed(2));
      const boxes: Box[] = [
        [f(x - 0.01), f(y - 0.01), f(x + 0.01), f(y + 0.01)],
        [f(x - 0.02), f(y - 0.03), f(x), f(y)],
        [f(x), f(y), f(x), f(y)],
        [f(x), f(y - 0.03), f(x), f(y + 0.03)],
        [f(x - 0.03), f(y + 0.01), f(x + 0.03), f(y + 0.01)],
      ];
      for (const box of boxes) {
        for (const match of MATCHES) {
          await expectExact(box, match);
          await expectExact(box, match, { weeks: 'active' });
        }
      }
    }
    // The aligned 2×2-cell box around the centre has border trips on its edges: they are counted.
    const x = Math.round(CITIES[0].lon * 100) / 100;
    const y = Math.round(CITIES[0].lat * 100) / 100;
    const f = (v: number) => Number(v.toFixed(2));
    const { rows } = await pipeline.pool.query(
      `SELECT count(*)::int AS n FROM silver.trips t JOIN silver.datasources d USING (datasource_id)
        WHERE d.name = 'border_source' AND (origin_lon = $1 OR origin_lon = $2) AND origin_lat BETWEEN $3 AND $4`,
      [f(x - 0.01), f(x + 0.01), f(y - 0.01), f(y + 0.01)],
    );
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('boxes on sub-row borders: cells cut through sub-rows, partly and mostly covered (gold minus the trips outside)', async () => {
    const x = Math.round(CITIES[1].lon * 100) / 100;
    const y = Math.round(CITIES[1].lat * 100) / 100;
    const f = (v: number) => Number(v.toFixed(3));
    let counted = 0;
    for (const [a, b] of [
      [-0.012, 0.012],
      [-0.009, 0.009],
      [-0.004, 0.007],
      [-0.001, 0.001],
      [0.003, 0.011],
      [-0.0105, -0.0005],
    ]) {
      for (const [c, d] of [
        [-0.007, 0.007],
        [-0.0035, 0.0035],
        [-0.002, 0.009],
        [0, 0],
      ]) {
        for (const match of MATCHES) counted += await expectExact([f(x + c), f(y + a), f(x + d), f(y + b)], match);
      }
    }
    expect(counted).toBeGreaterThan(0);
  });

  it('points a hair outside a box edge that floating point files in an inside cell are not counted', async () => {
    // Every origin lies just west of / south of some edge; the box from that edge must leave it out.
    for (const [ex] of FP_EDGES) {
      for (const [ey] of FP_EDGES) {
        for (const match of MATCHES) await expectExact([ex, ey, 0.05, 0.05], match);
      }
    }
    const { body } = await query([-0.03, -0.03, 0.05, 0.05], 'origin');
    expect(body.totalTrips).toBe(1); // only the trip starting exactly on the corner (-0.03, -0.03)
  });

  it('very large boxes (a country, the whole world) stay exact', async () => {
    expect(await expectExact([-180, -90, 180, 90], 'any')).toBe(totalTrips);
    expect(await expectExact([-180, -90, 180, 90], 'both')).toBe(totalTrips);
    await expectExact([-10, 35, 25, 60], 'origin');
    // Boxes of 15 x 15 inner cells and more count inside pairs as "starting inside − leaving".
    for (const match of MATCHES) {
      expect(await expectExact([14.2, 49.9, 14.7, 50.3], match)).toBeGreaterThan(0);
      await expectExact([7.55, 44.98, 7.75, 45.16], match);
      await expectExact([7.55, 44.98, 7.75, 45.16], match, { weeks: 'active' });
    }
    await expectExact([5, 44, 15.5, 54], 'both');
  });

  it('a query-api started with another GRID_CELL_DEGREES uses the grid the database was built with', async () => {
    const other = await startService('query-api', { ...pipeline.env, GRID_CELL_DEGREES: '0.05' });
    try {
      const box: Box = [14.3, 50.0, 14.5, 50.15];
      for (const match of MATCHES) {
        const [a, b] = await Promise.all([
          query(box, match),
          getJson(other.url, `/api/v1/trips/weekly-average?bbox=${box.join(',')}&match=${match}`),
        ]);
        expect(b.body).toEqual(a.body);
      }
      const groups = await getJson(other.url, '/api/v1/trip-groups?limit=1');
      expect(groups.body.grid).toEqual({ cellDegrees: 0.01, bucketMinutes: 30 });
    } finally {
      await other.stop();
    }
  });

  it('many large-box counts at once on a pool of 2 connections all answer, each the same as alone', async () => {
    // Each may split over two connections; with more requests than connections, some wait or count alone.
    const small = await startService('query-api', { ...pipeline.env, DATABASE_POOL_SIZE: '2' });
    try {
      const box: Box = [14.3, 49.95, 14.55, 50.2];
      const alone = await Promise.all(MATCHES.map(async (match) => (await query(box, match)).body));
      const url = (match: Match) => `/api/v1/trips/weekly-average?bbox=${box.join(',')}&match=${match}`;
      const together = await Promise.all(
        Array.from({ length: 12 }, (_, i) => getJson(small.url, url(MATCHES[i % MATCHES.length]))),
      );
      together.forEach(({ status, body }, i) => {
        expect(status).toBe(200);
        expect(body).toEqual(alone[i % MATCHES.length]);
      });
    } finally {
      await small.stop();
    }
  });

  it("weekly-average-by-bbox.sql gives the API's answers", async () => {
    const boxes: [Box, Match][] = [
      [[14.3, 50.0, 14.5, 50.15], 'both'],
      [[14.43, 50.07, 14.45, 50.09], 'any'],
      [[7.6, 45.0, 7.75, 45.1], 'origin'],
      [[9.95, 53.5, 10.05, 53.6], 'destination'],
    ];
    for (const [box, match] of boxes) {
      const [row] = await psqlFile(pipeline.env.DATABASE_URL, 'weekly-average-by-bbox.sql', {
        bbox: box.join(','),
        match,
      });
      const { body } = await query(box, match);
      expect(body.totalTrips).toBeGreaterThan(0);
      expect([Number(row.total_trips), Number(row.weeks), row.from, row.to]).toEqual([
        body.totalTrips,
        body.weeks,
        body.from,
        body.to,
      ]);
      expect(JSON.parse(row.series)).toEqual(body.series);
    }
  });

  it('while an ingestion is in flight, its trips count nowhere until their segment adds them to silver and gold at once', async () => {
    // With segments there are no rows in silver that gold lacks (the query API no longer leaves any
    // out): a chunk's work item only marks the chunk as waiting, its rows staying in bronze, and the
    // one transaction that builds its segment puts them in silver and folds them into gold.
    //
    // A box covering less than half of each edge cell (so their trips inside are scanned one by one),
    // and a new ingestion whose one chunk holds copies of the box's trips starting in those edge cells.
    const box: Box = [14.4187, 50.0571, 14.4613, 50.0929];
    const answers = async () => Promise.all(MATCHES.map(async (match) => (await query(box, match)).body));
    const before = await answers();
    const { rows: trips } = await pipeline.pool.query<{
      region: string;
      datasource: string;
      origin_lon: number;
      origin_lat: number;
      destination_lon: number;
      destination_lat: number;
      datetime: string;
    }>(
      `SELECT r.name AS region, d.name AS datasource, t.origin_lon, t.origin_lat, t.destination_lon, t.destination_lat,
              to_char(t.occurred_at, 'YYYY-MM-DD HH24:MI:SS') AS datetime
         FROM silver.trips t JOIN silver.regions r USING (region_id) JOIN silver.datasources d USING (datasource_id)
        WHERE t.origin_lon BETWEEN $1 AND $3 AND t.origin_lat BETWEEN $2 AND $4
          AND (t.origin_lon < 14.42 OR t.origin_lon >= 14.46 OR t.origin_lat < 50.06 OR t.origin_lat >= 50.09)
        ORDER BY t.ingestion_no, t.line_no LIMIT 60`,
      box,
    );
    const n = trips.length;
    expect(n).toBeGreaterThan(5);
    const quoted = (v: string) => `"${v.replaceAll('"', '""')}"`;
    const data = Buffer.from(
      trips
        .map(
          (t) =>
            `${quoted(t.region)},POINT (${t.origin_lon} ${t.origin_lat}),POINT (${t.destination_lon} ${t.destination_lat}),${t.datetime},${quoted(t.datasource)}\n`,
        )
        .join(''),
    );

    // What the gateway and the bronze-loader leave for the transformer: the ingestion, its chunk in
    // bronze (bronze not yet complete), and the chunk's work item.
    const { rows: ing } = await pipeline.pool.query<{ no: number; id: string }>(
      `INSERT INTO meta.ingestions (ingestion_id, columns, state, bronze_chunks, bronze_rows)
       VALUES (gen_random_uuid(), '{region,origin_coord,destination_coord,datetime,datasource}', 'processing', 1, $1)
       RETURNING ingestion_no AS no, ingestion_id::text AS id`,
      [n],
    );
    const { no, id } = ing[0];
    await pipeline.pool.query(
      'INSERT INTO meta.bronze_chunks (ingestion_no, seq, first_line, last_line, rows) VALUES ($1, 0, 2, $2 + 1, $2)',
      [no, n],
    );
    await pipeline.pool.query(
      `INSERT INTO bronze.chunks (ingestion_no, seq, start_line, first_line, last_line, rows, data)
       VALUES ($1, 0, 2, 2, $2 + 1, $2, $3)`,
      [no, n, data],
    );
    const waiting = async () =>
      (
        await pipeline.pool.query<{ claimed_chunks: number; waiting_rows: string; silver: number; markers: number }>(
          `SELECT i.claimed_chunks, i.waiting_rows,
                  (SELECT count(*)::int FROM silver.trips t WHERE t.ingestion_no = i.ingestion_no) AS silver,
                  (SELECT count(*)::int FROM meta.silver_chunks c
                    WHERE c.ingestion_no = i.ingestion_no AND c.segment_no IS NULL AND NOT c.gold_done) AS markers
             FROM meta.ingestions i WHERE i.ingestion_no = $1`,
          [no],
        )
      ).rows[0];
    const env = testEnv(pipeline.env);
    const publisher = new Publisher(createKafka(env, 'bbox-spec'), env);
    try {
      await publisher.send('bronzeWork', [
        {
          key: `${id}:0`,
          value: JSON.stringify({
            kind: 'chunk',
            ingestionId: id,
            ingestionNo: no,
            seq: 0,
            firstLine: 2,
            lastLine: n + 1,
            rows: n,
          }),
        },
      ]);
      await eventually(async () => (await waiting()).claimed_chunks === 1, {
        what: 'the transformer claimed the chunk',
      });
      // In flight: the chunk waits for its segment, in neither silver nor gold, and every answer is as before.
      expect(await waiting()).toEqual({ claimed_chunks: 1, waiting_rows: String(n), silver: 0, markers: 1 });
      expect(await answers()).toEqual(before);

      // Bronze completes: the transformer builds the segment, and its trips are in silver and gold at once.
      await pipeline.pool.query(
        `UPDATE meta.ingestions SET total_chunks = 1, total_rows = $2, bronze_completed_at = now() WHERE ingestion_no = $1`,
        [no, n],
      );
      await publisher.send('bronzeWork', [
        { key: `${id}:end`, value: JSON.stringify({ kind: 'end', ingestionId: id, ingestionNo: no, totalChunks: 1 }) },
      ]);
      await waitForIngestion(pipeline.pool, id);
    } finally {
      await publisher.disconnect();
    }
    expect(await waiting()).toMatchObject({ silver: n, markers: 0 });
    const after: number[] = [];
    for (const match of MATCHES) after.push(await expectExact(box, match));
    expect(after.some((total, i) => total > before[i].totalTrips)).toBe(true);
  });
});
