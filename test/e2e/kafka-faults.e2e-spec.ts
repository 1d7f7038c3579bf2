import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '#db';
import {
  eventually,
  exactlyOnce,
  layerFacts,
  newIngestionId,
  startPipeline,
  upload,
  waitForIngestion,
  type Pipeline,
} from '#testing';
import { HEADER, rowGenerator } from '../../scripts/bench/generate.js';

const ROWS = 200_000;
const PID_FILE = join(repoRoot(), '.cache', 'kafka', 'kafka.pid');
/** The broker is ours to kill only when the tests run the local one (scripts/kafka/start.sh). */
const localBroker = existsSync(PID_FILE) && process.env.KAFKA_EXTERNAL !== '1';

// The broker dies 2 s into an upload (SIGKILL: no controlled shutdown) and comes back 10 s later.
(localBroker ? describe : describe.skip)('Kafka faults: the broker killed mid-upload and restarted', () => {
  let pipeline: Pipeline;
  const file = join(tmpdir(), `kafka-faults-${process.pid}.csv`);

  beforeAll(async () => {
    writeFileSync(file, HEADER + rowGenerator(13)(ROWS));
    pipeline = await startPipeline('kafkafaults', {
      UPLOAD_CHUNK_BYTES: String(64 * 1024),
      SEGMENT_ROWS: String(20_000),
    });
  }, 180_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('completes the upload and the ingestion exactly once', async () => {
    const { pool } = pipeline;
    const ingestionId = newIngestionId();
    const uploading = upload(pipeline.gateway.url, file, { 'content-type': 'text/csv', 'x-ingestion-id': ingestionId });
    await eventually(
      async () =>
        (
          await pool.query('SELECT 1 FROM meta.ingestions WHERE ingestion_id = $1 AND bronze_chunks >= 2', [
            ingestionId,
          ])
        ).rowCount === 1,
      { intervalMs: 20, what: 'the upload under way' },
    );
    process.kill(Number(readFileSync(PID_FILE, 'utf8').trim()), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await promisify(execFile)('bash', [join(repoRoot(), 'scripts', 'kafka', 'start.sh')], { timeout: 120_000 });

    const res = await uploading;
    expect(res).toMatchObject({ status: 202, body: { ingestionId } });
    const done = await waitForIngestion(pool, ingestionId, 240_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await pipeline.diagnose(ingestionId)}`, { cause: error });
    });
    expect(await layerFacts(pool, done.ingestion_no, readFileSync(file), ROWS)).toEqual(exactlyOnce(ROWS));
  }, 600_000);
});
