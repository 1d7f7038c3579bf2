import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { parseIngestionEvent } from '#contracts';
import { createKafka, topic } from '#kafka';
import {
  eventually,
  newIngestionId,
  startPipeline,
  startService,
  testEnv,
  upload,
  waitForIngestion,
  type Pipeline,
} from '#testing';
import { HEADER, rowGenerator } from '../../scripts/bench/generate.js';

const ROWS = 200_000;
const SEGMENT_ROWS = 20_000;

// At-least-once delivery + idempotent writes = exactly once, even when the consumers die mid-ingestion.
describe('crash safety: SIGKILL bronze-loader and transformer mid-ingestion', () => {
  let pipeline: Pipeline;
  let pool: pg.Pool;
  const file = join(tmpdir(), `crash-${process.pid}.csv`);

  beforeAll(async () => {
    writeFileSync(file, HEADER + rowGenerator(7)(ROWS));
    // Small chunks and segments: many commits in flight when the processes die, and a segment built
    // before the kill (ROWS is far below the default SEGMENT_ROWS, which would build one segment at the end).
    pipeline = await startPipeline('crash', {
      UPLOAD_CHUNK_BYTES: String(64 * 1024),
      SEGMENT_ROWS: String(SEGMENT_ROWS),
    });
    pool = pipeline.pool;
  }, 180_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('ends with every row exactly once in bronze, silver and gold, and one completed event', async () => {
    const ingestionId = newIngestionId();
    const uploading = upload(pipeline.gateway.url, file, { 'content-type': 'text/csv', 'x-ingestion-id': ingestionId });
    await eventually(
      async () =>
        (await pool.query('SELECT 1 FROM meta.ingestions WHERE ingestion_id = $1', [ingestionId])).rowCount === 1,
      {
        what: 'ingestion accepted',
      },
    );
    // Kill both consumers once each has committed some chunks (silver: at least one segment built,
    // more chunks waiting) but the ingestion is far from done.
    await eventually(
      async () => {
        const { rows } = await pool.query(
          'SELECT bronze_chunks, claimed_chunks, silver_chunks FROM meta.ingestions WHERE ingestion_id = $1',
          [ingestionId],
        );
        return (
          rows[0].bronze_chunks >= 5 && rows[0].silver_chunks >= 2 && rows[0].claimed_chunks > rows[0].silver_chunks
        );
      },
      { intervalMs: 20, what: 'some chunks in bronze, in a silver segment and waiting for the next one' },
    );
    await Promise.all([pipeline.loader.kill(), pipeline.transformer.kill()]);
    const { rows: mid } = await pool.query(
      'SELECT state, bronze_rows, silver_rows FROM meta.ingestions WHERE ingestion_id = $1',
      [ingestionId],
    );
    expect(mid[0].state).not.toBe('completed');
    expect(Number(mid[0].bronze_rows)).toBeLessThan(ROWS);

    pipeline.loader = await startService('bronze-loader', pipeline.env);
    pipeline.transformer = await startService('transformer', pipeline.env);
    const res = await uploading;
    expect(res.status).toBe(202);
    expect(res.body.ingestionId).toBe(ingestionId);

    const done = await waitForIngestion(pool, ingestionId, 240_000);
    const no = done.ingestion_no;
    const count = async (sql: string, params: unknown[] = [no]) => Number((await pool.query(sql, params)).rows[0].n);
    // Bronze holds every chunk once: its chunks put together are exactly the file after its header.
    const chunks = await pool.query<{ data: Buffer; rows: number }>(
      'SELECT data, rows FROM bronze.chunks WHERE ingestion_no = $1 ORDER BY seq',
      [no],
    );
    expect(chunks.rowCount).toBe(await count('SELECT total_chunks AS n FROM meta.ingestions WHERE ingestion_no = $1'));
    expect(chunks.rows.reduce((n, c) => n + c.rows, 0)).toBe(ROWS);
    const csv = readFileSync(file);
    expect(Buffer.concat(chunks.rows.map((c) => c.data)).equals(csv.subarray(csv.indexOf('\n') + 1))).toBe(true);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1')).toBe(ROWS);
    expect(await count('SELECT count(*) AS n FROM silver.rejects WHERE ingestion_no = $1')).toBe(0);
    // Every chunk is in exactly one segment, and the segments hold every row once.
    expect(
      await count(
        'SELECT count(*) AS n FROM meta.silver_chunks WHERE ingestion_no = $1 AND segment_no IS NOT NULL AND gold_done',
      ),
    ).toBe(chunks.rowCount);
    expect(await count('SELECT coalesce(sum(rows), 0) AS n FROM meta.segments WHERE ingestion_no = $1')).toBe(ROWS);
    expect(await count('SELECT count(*) AS n FROM meta.segments WHERE ingestion_no = $1')).toBeGreaterThan(1);
    // A build killed mid-way rolled back with its table: every segment table is an attached partition.
    expect(
      (
        await pool.query<{ name: string; attached: boolean }>(
          `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid) AS attached
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'silver' AND c.relkind = 'r' AND c.relname ~ '^trips_[0-9]+$'`,
        )
      ).rows.filter((r) => !r.attached),
    ).toEqual([]);
    // silver.trips has no primary key across its partitions: check the line set is exactly 2..ROWS+1.
    expect(
      await count(
        'SELECT count(DISTINCT line_no) AS n FROM silver.trips WHERE ingestion_no = $1 AND line_no BETWEEN 2 AND $2',
        [no, ROWS + 1],
      ),
    ).toBe(ROWS);
    expect(Number(done.bronze_rows)).toBe(ROWS);
    expect(Number(done.silver_rows)).toBe(ROWS);
    // Gold was folded once per segment: its totals equal silver (the pipeline has a database of its own).
    const gold = await pool.query(
      `SELECT (SELECT sum(trip_count) FROM gold.trip_groups) AS groups,
              (SELECT sum(trips) FROM gold.weekly_region_counts) AS region_weeks,
              (SELECT sum(trips) FROM gold.weekly_origin_cells) AS origin_cells,
              (SELECT sum(trips) FROM gold.weekly_od_cells) AS od_cells,
              (SELECT count(*) FROM silver.trips) AS silver`,
    );
    const g = gold.rows[0];
    expect(Number(g.groups)).toBe(Number(g.silver));
    expect(Number(g.region_weeks)).toBe(Number(g.silver));
    expect(Number(g.origin_cells)).toBe(Number(g.silver));
    expect(Number(g.od_cells)).toBe(Number(g.silver));

    // Exactly one completion event (a re-published duplicate would carry the same eventId).
    const env = testEnv(pipeline.env);
    const kafka = createKafka(env, 'crash-spec');
    const consumer = kafka.consumer({ groupId: `${env.KAFKA_TOPIC_PREFIX}crash-check-${Date.now()}` });
    const completed = new Map<string, number>();
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: topic(env, 'ingestionEvents'), fromBeginning: true });
    const admin = kafka.admin();
    await admin.connect();
    const end = (await admin.fetchTopicOffsets(topic(env, 'ingestionEvents'))).reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen++;
        const e = parseIngestionEvent(JSON.parse(message.value!.toString()));
        if (e.ingestionId === ingestionId && e.type === 'ingestion.completed')
          completed.set(e.eventId, (completed.get(e.eventId) ?? 0) + 1);
      },
    });
    await eventually(() => seen >= end, { what: 'all events read' });
    await consumer.disconnect();
    expect([...completed.keys()]).toEqual([`ingestion.completed:${ingestionId}`]);
  }, 600_000);
});
