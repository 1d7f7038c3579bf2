import { createKafka, groupId } from '#kafka';
import {
  eventually,
  ingestFile,
  layerFacts,
  exactlyOnce,
  seededRandom,
  startPipeline,
  startService,
  testEnv,
  type Pipeline,
  type RunningService,
} from '#testing';

/**
 * Scaling out (docs/scaling.md): two instances each of bronze-loader and transformer share one
 * ingestion (one consumer group each, the topics' partitions split between them) and land exactly
 * what one instance of each lands: the same rows once in every layer, the same gold, the same answers.
 */
const ROWS = 12_000;
const CITIES = [
  { region: 'Prague', lon: 14.42, lat: 50.08 },
  { region: 'Turin', lon: 7.68, lat: 45.07 },
  { region: 'Hamburg', lon: 9.99, lat: 53.55 },
];

/** A file of trips around three cities, seeded (the same file for both pipelines). */
function tripsFile(): Buffer {
  const next = seededRandom(2026);
  const lines = ['region,origin_coord,destination_coord,datetime,datasource'];
  const around = (v: number) => (v + (next() - 0.5) * 0.2).toFixed(6);
  for (let i = 0; i < ROWS; i++) {
    const c = CITIES[Math.floor(next() * CITIES.length)];
    const day = 1 + Math.floor(next() * 28);
    const month = 1 + Math.floor(next() * 6);
    const hour = Math.floor(next() * 24);
    const at = `2018-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${String(hour).padStart(2, '0')}:${String(Math.floor(next() * 60)).padStart(2, '0')}:00`;
    lines.push(
      `${c.region},POINT (${around(c.lon)} ${around(c.lat)}),POINT (${around(c.lon)} ${around(c.lat)}),${at},source_${Math.floor(next() * 3)}`,
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Small chunks and segments, so the work spreads over every partition and several segments. */
const ENV = {
  UPLOAD_CHUNK_BYTES: String(16 * 1024),
  SEGMENT_ROWS: '2000',
  SEGMENT_MAX_ROWS: '3000',
  MERGE_INTERVAL_MS: '0',
};

describe('scale-out: two bronze-loaders and two transformers give what one of each gives', () => {
  const file = tripsFile();
  let one: Pipeline;
  let two: Pipeline;
  const extra: RunningService[] = [];
  const apis: RunningService[] = [];

  beforeAll(async () => {
    // The scaled transformers log each segment they build (info), to show both did.
    [one, two] = await Promise.all([
      startPipeline('scale_one', ENV),
      startPipeline('scale_two', ENV, { transformer: { LOG_LEVEL: 'info' } }),
    ]);
    extra.push(
      ...(await Promise.all([
        startService('bronze-loader', two.env),
        startService('transformer', { ...two.env, LOG_LEVEL: 'info' }),
      ])),
    );
    apis.push(
      ...(await Promise.all([
        startService('query-api', { DATABASE_URL: one.env.DATABASE_URL }),
        startService('query-api', { DATABASE_URL: two.env.DATABASE_URL }),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...extra, ...apis].map((s) => s.stop()));
    await Promise.all([one?.stop(), two?.stop()]);
  });

  it('each instance takes part (holds partitions; each transformer builds segments), every row lands once, and every answer and gold table is the same', async () => {
    // Both members of each scaled group hold partitions — before the upload: a member that joins the
    // group after a small ingestion is done would get nothing to do.
    const admin = createKafka(testEnv(two.env), 'scale-out-check').admin();
    await admin.connect();
    try {
      const config = testEnv(two.env);
      const names = [groupId(config, 'bronze-loader'), groupId(config, 'transformer')];
      await eventually(() => admin.describeGroups(names), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'both members of each scaled group holding partitions',
        accept: ({ groups }) =>
          groups.length === 2 &&
          groups.every((g) => g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0)),
      });
    } finally {
      await admin.disconnect();
    }

    const [a, b] = await Promise.all([ingestFile(one, file), ingestFile(two, file)]);

    const transformers = [two.transformer, extra[1]];
    for (const t of transformers) expect(t.output()).toContain('"msg":"segment built"');

    expect(await layerFacts(one.pool, a.ingestion_no, file, ROWS)).toEqual(exactlyOnce(ROWS));
    expect(await layerFacts(two.pool, b.ingestion_no, file, ROWS)).toEqual(exactlyOnce(ROWS));

    // Dictionary ids depend on which transformer saw a name first: compare by names, and leave out
    // what carries ids (cursors) or orders by them (ties of the unfiltered page: sizes only).
    const answers = async (api: RunningService, pipeline: Pipeline) => {
      const get = async (path: string) => (await fetch(`${api.url}${path}`)).json() as Promise<Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const c of CITIES) {
        out[`region ${c.region}`] = await get(`/api/v1/trips/weekly-average?region=${c.region}`);
        out[`groups ${c.region}`] = (await get(`/api/v1/trip-groups?region=${c.region}&limit=100`)).items;
        const box = [c.lon - 0.05, c.lat - 0.04, c.lon + 0.06, c.lat + 0.05].join(',');
        for (const match of ['origin', 'destination', 'both', 'any'])
          out[`bbox ${c.region} ${match}`] = await get(`/api/v1/trips/weekly-average?bbox=${box}&match=${match}`);
      }
      const page = (await get('/api/v1/trip-groups?limit=200')).items as { tripCount: number }[];
      out.groupSizes = page.map((g) => g.tripCount);
      const table = async (sql: string) => (await pipeline.pool.query(sql)).rows;
      const named = 'JOIN silver.regions r USING (region_id) JOIN silver.datasources d USING (datasource_id)';
      out.gold = {
        regionCounts: await table(
          `SELECT r.name, week_start, d.name AS ds, trips FROM gold.weekly_region_counts ${named} ORDER BY 1, 2, 3`,
        ),
        groups: await table(
          `SELECT r.name, origin_cell, destination_cell, tod_bucket, trip_count, first_seen, last_seen,
                  ARRAY(SELECT d.name FROM silver.datasources d WHERE d.datasource_id = ANY (g.datasource_ids) ORDER BY 1) AS ds
             FROM gold.trip_groups g JOIN silver.regions r USING (region_id) ORDER BY 1, 2, 3, 4`,
        ),
        odCells: await table(
          `SELECT origin_cell, destination_cell, week_start, d.name, sum(trips) FROM gold.weekly_od_cells
             JOIN silver.datasources d USING (datasource_id) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
        ),
      };
      return out;
    };
    const [expected, actual] = await Promise.all([answers(apis[0], one), answers(apis[1], two)]);
    expect(actual).toEqual(expected);
    expect((expected['region Prague'] as { totalTrips: number }).totalTrips).toBeGreaterThan(0);
    expect((expected['bbox Turin both'] as { totalTrips: number }).totalTrips).toBeGreaterThan(0);
  }, 240_000);
});
