import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { parseIngestionEvent } from '#contracts';
import { createKafka, topic } from '#kafka';
import {
  eventually,
  exactlyOnce,
  layerFacts,
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
    expect(await layerFacts(pool, no, readFileSync(file), ROWS)).toEqual(exactlyOnce(ROWS));
    expect(Number(done.bronze_rows)).toBe(ROWS);
    expect(Number(done.silver_rows)).toBe(ROWS);
    // The kill came after a segment was built: the ingestion holds more than one.
    const segments = await pool.query('SELECT count(*)::int AS n FROM meta.segments WHERE ingestion_no = $1', [no]);
    expect(segments.rows[0].n).toBeGreaterThan(1);

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
