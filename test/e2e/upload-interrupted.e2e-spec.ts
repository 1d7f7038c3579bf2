import http from 'node:http';
import { parseIngestionEvent } from '#contracts';
import { createKafka, topic } from '#kafka';
import {
  eventually,
  newIngestionId,
  startPipeline,
  startService,
  testEnv,
  type Pipeline,
  type RunningService,
} from '#testing';
import { HEADER, rowGenerator } from '../../scripts/bench/generate.js';

const STALE_MS = 3_000;

// A gateway that dies mid-upload leaves its ingestion `uploading` with no end marker ever coming:
// another gateway instance fails it as upload_interrupted within UPLOAD_STALE_MS × 4/3.
describe('gateway SIGKILL mid-upload', () => {
  let pipeline: Pipeline;
  let other: RunningService;

  beforeAll(async () => {
    pipeline = await startPipeline('interrupted', { UPLOAD_STALE_MS: String(STALE_MS) });
    other = await startService('upload-gateway', pipeline.env);
  }, 120_000);
  afterAll(async () => {
    await other?.stop();
    await pipeline?.stop();
  });

  it('fails the ingestion with upload_interrupted, and publishes ingestion.failed', async () => {
    const ingestionId = newIngestionId();
    const req = http.request(`${pipeline.gateway.url}/api/v1/ingestions`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'x-ingestion-id': ingestionId },
      agent: false,
    });
    req.on('error', () => undefined); // the gateway dies under it
    req.write(HEADER + rowGenerator(3)(2_000)); // the body never ends
    await eventually(
      async () =>
        (
          await pipeline.pool.query("SELECT 1 FROM meta.ingestions WHERE ingestion_id = $1 AND state = 'uploading'", [
            ingestionId,
          ])
        ).rowCount === 1,
      { what: 'the upload under way' },
    );
    await pipeline.gateway.kill();
    const killedAt = Date.now();
    const row = await eventually(
      async () =>
        (
          await pipeline.pool.query<{ state: string; error_code: string; error_stage: string }>(
            'SELECT state, error_code, error_stage FROM meta.ingestions WHERE ingestion_id = $1',
            [ingestionId],
          )
        ).rows[0],
      { accept: (r) => r?.state === 'failed', timeoutMs: 20_000, intervalMs: 100, what: 'the ingestion failed' },
    );
    const seconds = (Date.now() - killedAt) / 1000;
    expect(row).toEqual({ state: 'failed', error_code: 'upload_interrupted', error_stage: 'upload' });
    expect(seconds).toBeLessThanOrEqual((STALE_MS * 4) / 3 / 1000 + 2);
    req.destroy();

    // The failure is an event like any other.
    const env = testEnv(pipeline.env);
    const consumer = createKafka(env, 'interrupted-spec').consumer({
      groupId: `${env.KAFKA_TOPIC_PREFIX}interrupted-${Date.now()}`,
    });
    const failed: unknown[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: topic(env, 'ingestionEvents'), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const e = parseIngestionEvent(JSON.parse(message.value!.toString()));
        if (e.ingestionId === ingestionId && e.type === 'ingestion.failed') failed.push(e.data);
      },
    });
    try {
      await eventually(() => failed.length > 0, { what: 'ingestion.failed on the events topic' });
      expect(failed).toEqual([expect.objectContaining({ stage: 'upload', code: 'upload_interrupted' })]);
    } finally {
      await consumer.disconnect();
    }
  }, 120_000);
});
