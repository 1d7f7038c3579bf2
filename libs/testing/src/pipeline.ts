import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { createPool, dropDatabase, ensureDatabase, repoRoot, runMigrations } from '#db';
import { createKafka, ensureTopics } from '#kafka';
import { eventually } from './eventually.js';
import { startService, type RunningService, type ServiceName } from './services.js';
import { testEnv } from './test-env.js';

/** The ingestion services running as real processes against the test database and a topic prefix of their own. */
export interface Pipeline {
  prefix: string;
  env: Record<string, string>;
  /** A pool on the pipeline's own database. */
  pool: pg.Pool;
  gateway: RunningService;
  loader: RunningService;
  transformer: RunningService;
  stop(): Promise<void>;
  /** An ingestion's row, its chunk markers and the tail of each service's output: for a test that timed out. */
  diagnose(ingestionId: string): Promise<string>;
}

/** Creates and migrates a database of its own for one spec: `<test database>_<name>`. */
export async function freshDatabase(name: string): Promise<string> {
  const url = new URL(testEnv().DATABASE_URL);
  url.pathname = `${url.pathname}_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
  const databaseUrl = url.toString();
  await dropDatabase(databaseUrl);
  await ensureDatabase(databaseUrl);
  await runMigrations(databaseUrl);
  return databaseUrl;
}

/**
 * Starts upload-gateway, bronze-loader and transformer (compiled, as separate processes) on a database
 * of their own (`<test database>_<name>`) and under the topic prefix `<run prefix><name>.`, so no other
 * spec's data or consumers interfere. `stop()` stops them and drops the database. `serviceEnv` adds
 * variables for one service's first start only (e.g. a fault to inject): `env` does not keep them.
 */
export async function startPipeline(
  name: string,
  extraEnv: Record<string, string> = {},
  serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {},
): Promise<Pipeline> {
  const prefix = `${process.env.KAFKA_TOPIC_PREFIX ?? ''}${name}.`;
  const databaseUrl = await freshDatabase(name);
  const env = { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, PROGRESS_INTERVAL_MS: '100', ...extraEnv };
  const config = testEnv(env);
  const pool = createPool(databaseUrl, 4, 'test');
  await ensureTopics(createKafka(config, `pipeline-${name}`), config);
  const [gateway, loader, transformer] = await Promise.all([
    startService('upload-gateway', { ...env, ...serviceEnv['upload-gateway'] }),
    startService('bronze-loader', { ...env, ...serviceEnv['bronze-loader'] }),
    startService('transformer', { ...env, ...serviceEnv.transformer }),
  ]);
  const pipeline: Pipeline = {
    prefix,
    env,
    pool,
    gateway,
    loader,
    transformer,
    async stop() {
      await Promise.all([pipeline.gateway.stop(), pipeline.loader.stop(), pipeline.transformer.stop()]);
      await pool.end();
      if (process.env.KEEP_TEST_DB !== '1') await dropDatabase(databaseUrl);
    },
    async diagnose(ingestionId) {
      const { rows } = await pool.query(
        `SELECT i.*, (SELECT count(*) FROM meta.silver_chunks c WHERE c.ingestion_no = i.ingestion_no) AS markers,
                (SELECT count(*) FROM meta.silver_chunks c WHERE c.ingestion_no = i.ingestion_no AND c.segment_no IS NULL) AS waiting
           FROM meta.ingestions i WHERE ingestion_id = $1`,
        [ingestionId],
      );
      const tail = (s: RunningService) => `--- ${s.name} ---\n${s.output().slice(-3000)}`;
      return [JSON.stringify(rows[0]), ...[pipeline.gateway, pipeline.loader, pipeline.transformer].map(tail)].join(
        '\n',
      );
    },
  };
  return pipeline;
}

export interface UploadResult {
  status: number;
  body: Record<string, unknown> & {
    ingestionId?: string;
    error?: { code: string; message: string; details?: unknown };
  };
}

/** POSTs a file (streamed), a buffer or a stream to the gateway. */
export async function upload(
  gatewayUrl: string,
  source: string | Buffer | ReadableStream<Uint8Array>,
  headers: Record<string, string> = { 'content-type': 'text/csv' },
): Promise<UploadResult> {
  const body = typeof source === 'string' ? (Readable.toWeb(createReadStream(source)) as ReadableStream) : source;
  const res = await fetch(`${gatewayUrl}/api/v1/ingestions`, {
    method: 'POST',
    headers,
    body,
    duplex: 'half',
  });
  const text = await res.text();
  let parsed: UploadResult['body'];
  try {
    parsed = JSON.parse(text) as UploadResult['body'];
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

export interface IngestionRow {
  ingestion_no: number;
  ingestion_id: string;
  state: string;
  total_rows: string | null;
  bronze_rows: string;
  silver_rows: string;
  rejected_rows: string;
  error_code: string | null;
}

/** Waits until the ingestion reaches `completed` (or fails: then throws with its error). */
export async function waitForIngestion(pool: pg.Pool, ingestionId: string, timeoutMs = 60_000): Promise<IngestionRow> {
  return eventually(
    async () => {
      const { rows } = await pool.query<IngestionRow>('SELECT * FROM meta.ingestions WHERE ingestion_id = $1', [
        ingestionId,
      ]);
      const row = rows[0];
      if (row?.state === 'failed') throw new Error(`ingestion ${ingestionId} failed: ${row.error_code}`);
      return row?.state === 'completed' ? row : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `ingestion ${ingestionId} completed` },
  ) as Promise<IngestionRow>;
}

/** Uploads a file through a running pipeline and waits for completion; returns the ingestion row. */
export async function ingestFile(
  pipeline: Pipeline,
  file: string | Buffer,
  headers?: Record<string, string>,
): Promise<IngestionRow> {
  const res = await upload(pipeline.gateway.url, file, headers);
  if (res.status !== 202 || !res.body.ingestionId)
    throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return waitForIngestion(pipeline.pool, res.body.ingestionId);
}

export const newIngestionId = (): string => randomUUID();

/** The classic 100-row sample (a copy of shared/data/trips.csv, so tests do not depend on the checkout's neighbours). */
export const SAMPLE_CSV = join(repoRoot(), 'test', 'fixtures', 'trips.csv');
