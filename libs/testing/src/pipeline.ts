import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { createKafka, ensureTopics } from '#kafka';
import { eventually } from './eventually.js';
import { startService, type RunningService } from './services.js';
import { testEnv } from './test-env.js';

/** The ingestion services running as real processes against the test database and a topic prefix of their own. */
export interface Pipeline {
  prefix: string;
  env: Record<string, string>;
  gateway: RunningService;
  loader: RunningService;
  transformer: RunningService;
  stop(): Promise<void>;
}

/**
 * Starts upload-gateway, bronze-loader and transformer (compiled, as separate processes) under the
 * topic prefix `<run prefix><name>.` so no other spec's consumers see their messages.
 */
export async function startPipeline(name: string, extraEnv: Record<string, string> = {}): Promise<Pipeline> {
  const prefix = `${process.env.KAFKA_TOPIC_PREFIX ?? ''}${name}.`;
  const env = { KAFKA_TOPIC_PREFIX: prefix, PROGRESS_INTERVAL_MS: '100', ...extraEnv };
  const config = testEnv(env);
  await ensureTopics(createKafka(config, `pipeline-${name}`), config);
  const [gateway, loader, transformer] = await Promise.all([
    startService('upload-gateway', env),
    startService('bronze-loader', env),
    startService('transformer', env),
  ]);
  return {
    prefix,
    env,
    gateway,
    loader,
    transformer,
    async stop() {
      await Promise.all([gateway.stop(), loader.stop(), transformer.stop()]);
    },
  };
}

export interface UploadResult {
  status: number;
  body: Record<string, unknown> & { ingestionId?: string; error?: { code: string; message: string; details?: unknown } };
}

/** POSTs a file (streamed) or a buffer to the gateway. */
export async function upload(
  gatewayUrl: string,
  source: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'text/csv' },
): Promise<UploadResult> {
  const body = typeof source === 'string' ? (Readable.toWeb(createReadStream(source)) as ReadableStream) : source;
  const res = await fetch(`${gatewayUrl}/api/v1/ingestions`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
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
      const { rows } = await pool.query<IngestionRow>('SELECT * FROM meta.ingestions WHERE ingestion_id = $1', [ingestionId]);
      const row = rows[0];
      if (row?.state === 'failed') throw new Error(`ingestion ${ingestionId} failed: ${row.error_code}`);
      return row?.state === 'completed' ? row : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `ingestion ${ingestionId} completed` },
  ) as Promise<IngestionRow>;
}

/** Uploads a file through a running pipeline and waits for completion; returns the ingestion row. */
export async function ingestFile(pipeline: Pipeline, pool: pg.Pool, file: string | Buffer, headers?: Record<string, string>): Promise<IngestionRow> {
  const res = await upload(pipeline.gateway.url, file, headers);
  if (res.status !== 202 || !res.body.ingestionId) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return waitForIngestion(pool, res.body.ingestionId);
}

export const newIngestionId = (): string => randomUUID();
