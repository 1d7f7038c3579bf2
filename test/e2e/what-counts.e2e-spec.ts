import { readFileSync } from 'node:fs';
import type { Consumer } from 'kafkajs';
import { parseIngestionEvent, type IngestionEvent } from '#contracts';
import { createKafka, topic } from '#kafka';
import {
  eventually,
  ingestFile,
  SAMPLE_CSV,
  startPipeline,
  startService,
  testEnv,
  upload,
  type Pipeline,
  type RunningService,
} from '#testing';

/**
 * Only completed ingestions count, and a retraction takes one out exactly (docs/architecture.md,
 * "What counts"): every answer of query-api and every gold table, compared whole with what they were
 * before the ingestion came (or with a single clean upload).
 */
const sample = readFileSync(SAMPLE_CSV, 'utf8');
/** The sample with its datasources renamed: the same places and times, told apart by datasource. */
const variant = (suffix: string) => {
  const header = sample.slice(0, sample.indexOf('\n') + 1);
  const rows = sample.slice(header.length).replace(/,([a-z_]+)\r?\n/g, (_, source: string) => `,${source}_${suffix}\n`);
  return Buffer.from(header + rows);
};

const BOXES = ['7.5415091,45.091605,10.0588964,53.4948642', '14.3,49.9,14.6,50.2', '7.6,44.9,7.8,45.2'];
const MATCHES = ['origin', 'destination', 'both', 'any'];
const PERIOD = 'from=2018-04-01&to=2018-07-01';

describe('what counts: completed ingestions only, and DELETE retracts one exactly', () => {
  let pipeline: Pipeline;
  let api: RunningService;
  let consumer: Consumer;
  const events: IngestionEvent[] = [];

  const get = async (path: string) => {
    const res = await fetch(`${api.url}${path}`);
    return { status: res.status, body: await res.json() };
  };
  const del = async (id: string) => {
    const res = await fetch(`${pipeline.gateway.url}/api/v1/ingestions/${id}`, { method: 'DELETE' });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  /** Every answer the product gives about trips, and every gold table summed over its segments. */
  async function everything(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const region of ['Prague', 'Turin', 'Hamburg']) {
      out[`region ${region}`] = await get(`/api/v1/trips/weekly-average?region=${region}&${PERIOD}`);
      out[`groups ${region}`] = await get(`/api/v1/trip-groups?region=${region}&limit=500`);
    }
    for (const box of BOXES) {
      for (const match of MATCHES) {
        out[`bbox ${box} ${match}`] = await get(`/api/v1/trips/weekly-average?bbox=${box}&match=${match}&${PERIOD}`);
      }
    }
    out.insights = await get('/api/v1/insights/latest-datasource?topRegions=10');
    out.regions = await get('/api/v1/regions?limit=100');
    const table = async (sql: string) => (await pipeline.pool.query(sql)).rows;
    out.gold = {
      regionCounts: await table('SELECT * FROM gold.weekly_region_counts ORDER BY 1, 2, 3'),
      regionLatest: await table('SELECT * FROM gold.region_latest ORDER BY 1'),
      groups: await table('SELECT * FROM gold.trip_groups ORDER BY 1, 2, 3, 4'),
      originCells: await table(
        'SELECT origin_cell, week_start, datasource_id, sum(trips) FROM gold.weekly_origin_cells GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
      ),
      destinationCells: await table(
        'SELECT destination_cell, week_start, datasource_id, sum(trips) FROM gold.weekly_destination_cells GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
      ),
      odCells: await table(
        'SELECT origin_cell, destination_cell, week_start, datasource_id, sum(trips) FROM gold.weekly_od_cells GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4',
      ),
      silver: await table('SELECT count(*) FROM silver.trips'),
    };
    return out;
  }

  const retracted = (id: string) =>
    eventually(
      async () => {
        const { rows } = await pipeline.pool.query<{ state: string }>(
          'SELECT state FROM meta.ingestions WHERE ingestion_id = $1',
          [id],
        );
        return (
          rows[0]?.state === 'retracted' && events.some((e) => e.ingestionId === id && e.type === 'ingestion.retracted')
        );
      },
      { timeoutMs: 60_000, what: `ingestion ${id} retracted and ingestion.retracted published` },
    );

  beforeAll(async () => {
    // Chunks of ~34 rows; each 100-row upload builds a few segments, which merge in pairs (fan-in 2)
    // into one of 100 rows; two of those merge into one of 200 rows, never merged again (MERGE_MAX_ROWS):
    // so the second upload's rows end up in a segment with the first's, and the third's in one of its own.
    pipeline = await startPipeline('what_counts', {
      MERGE_INTERVAL_MS: '200',
      MERGE_QUIET_MS: '0',
      MERGE_FAN_IN: '2',
      MERGE_MAX_ROWS: '200',
      UPLOAD_CHUNK_BYTES: '4096',
      SEGMENT_ROWS: '40',
    });
    api = await startService('query-api', pipeline.env);
    const env = testEnv(pipeline.env);
    consumer = createKafka(env, 'what-counts-spec').consumer({
      groupId: `${env.KAFKA_TOPIC_PREFIX}spec-${Date.now()}`,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topic(env, 'ingestionEvents'), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        events.push(parseIngestionEvent(JSON.parse(message.value!.toString())));
      },
    });
  }, 180_000);
  afterAll(async () => {
    await consumer?.disconnect();
    await api?.stop();
    await pipeline?.stop();
  });

  let empty: Record<string, unknown>;
  let withA: Record<string, unknown>;
  let withAB: Record<string, unknown>;

  it('counts a failed upload not at all, and its retry once', async () => {
    empty = await everything();
    // A record over UPLOAD_MAX_RECORD_BYTES after 60 rows fails the upload with chunks already in
    // Kafka (4 KiB each): bronze and segments may get them, answers must not.
    const lines = sample.split('\n');
    const huge = `Prague,POINT (14.4 50.0),POINT (14.43 50.04),2018-05-28 09:03:40,${'x'.repeat(1_100_000)}`;
    const broken = Buffer.from([...lines.slice(0, 61), huge, ...lines.slice(61)].join('\n'));
    const failed = await upload(pipeline.gateway.url, broken);
    expect(failed.status).toBe(422);
    expect(failed.body.error?.code).toBe('record_too_large');
    await eventually(
      async () =>
        (await pipeline.pool.query('SELECT count(*)::int AS n FROM meta.segments WHERE NOT attached')).rows[0].n === 0,
      { timeoutMs: 90_000, what: "the failed ingestion's segments swept" },
    );
    expect(await everything()).toEqual(empty);

    const a = await ingestFile(pipeline, Buffer.from(sample));
    expect(a.state).toBe('completed');
    withA = await everything();
    expect(withA).not.toEqual(empty);
    expect((withA['region Prague'] as any).body.totalTrips).toBe(34);
  }, 180_000);

  it('retracts an ingestion merged with another (segment rebuilt) and one on its own (segments dropped)', async () => {
    const b = await ingestFile(pipeline, variant('b'));
    await eventually(
      async () => {
        const { rows } = await pipeline.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM meta.segments WHERE merged_from IS NOT NULL AND rows = 200',
        );
        return rows[0].n === 1;
      },
      { timeoutMs: 60_000, what: 'the two uploads merged into one segment' },
    );
    withAB = await everything();
    expect((withAB['region Prague'] as any).body.totalTrips).toBe(68);

    const c = await ingestFile(pipeline, variant('c'));
    expect(((await everything())['region Prague'] as any).body.totalTrips).toBe(102);

    // C alone: its segments are dropped.
    const asked = await del(c.ingestion_id);
    expect(asked).toEqual({
      status: 202,
      body: { ingestionId: c.ingestion_id, state: 'retracting', statusUrl: expect.stringContaining(c.ingestion_id) },
    });
    await retracted(c.ingestion_id);
    expect(await everything()).toEqual(withAB);
    expect(events.filter((e) => e.ingestionId === c.ingestion_id && e.type === 'ingestion.retracted')).toEqual([
      expect.objectContaining({ layer: 'ingestion', data: { trips: 100 } }),
    ]);
    // Again: done, nothing changes.
    expect(await del(c.ingestion_id)).toMatchObject({ status: 200, body: { state: 'retracted' } });

    // B shares its segment with A: the segment is rebuilt with A's rows only.
    expect((await del(b.ingestion_id)).status).toBe(202);
    await retracted(b.ingestion_id);
    expect(await everything()).toEqual(withA);
    const status = await get(`/api/v1/ingestions/${b.ingestion_id}`);
    expect(status.body).toMatchObject({ state: 'retracted', timestamps: { retractedAt: expect.any(String) } });
  }, 240_000);

  it('answers DELETE of an unknown, a malformed or a failed ingestion with a clear error', async () => {
    expect(await del('6f1c0000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { error: { code: 'ingestion_not_found' } },
    });
    expect(await del('not-a-uuid')).toMatchObject({ status: 400, body: { error: { code: 'invalid_ingestion_id' } } });
    const { rows } = await pipeline.pool.query<{ ingestion_id: string }>(
      "SELECT ingestion_id::text FROM meta.ingestions WHERE state = 'failed' LIMIT 1",
    );
    expect(await del(rows[0].ingestion_id)).toMatchObject({
      status: 409,
      body: { error: { code: 'ingestion_failed' } },
    });
  });
});
