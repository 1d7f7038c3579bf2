// Bronze-loader throughput on its own: N synthetic trips are cut into raw chunks (as upload-gateway
// would) and published straight to the raw topic; then one bronze-loader process is started and timed
// until bronze is complete. For scale, the same chunks are then inserted into bronze.chunks directly,
// one row per chunk as the loader writes it (no Kafka, no markers, no counters), on as many
// connections as the loader's concurrency.
// Usage: npm run build && node dist/scripts/bench/bronze-loader.js [--rows N] [--chunk-bytes B] [--concurrency C] [--keep]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '#config';
import { encodeRawChunkHeaders } from '#contracts';
import { RecordChunker, recordLines, type Chunk } from '#csv';
import { repoRoot } from '#db';
import { Publisher, createKafka, ensureTopics, topicSpecs } from '#kafka';
import { HEADER, rowGenerator } from './generate.js';
import { benchDatabaseUrl, dropBenchDatabase, freshBenchDatabase } from './database.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'chunk-bytes': { type: 'string', default: String(512 * 1024) },
    concurrency: { type: 'string', default: '2' },
    database: { type: 'string', default: 'trips_bench_loader' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const chunkBytes = Number(values['chunk-bytes']);
const concurrency = Number(values.concurrency);
const say = (msg: string) => process.stdout.write(`[bench:bronze-loader] ${msg}\n`);
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`;

const databaseUrl = benchDatabaseUrl(values.database);
const prefix = `bench-loader-${Date.now().toString(36)}.`;
const childEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  KAFKA_TOPIC_PREFIX: prefix,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  BRONZE_LOADER_CONCURRENCY: String(concurrency),
};
const env = loadConfig(childEnv);

// 1. a fresh database and topics of our own
await freshBenchDatabase(values.database);
const kafka = createKafka(env, 'bench-loader');
await ensureTopics(kafka, env);
const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency + 1 });

// 2. the raw chunks, in memory, cut exactly like upload-gateway cuts them
let t = performance.now();
const next = rowGenerator(42);
const chunker = new RecordChunker(chunkBytes, 2);
const chunks: Chunk[] = [];
for (let done = 0; done < rows; done += 10_000)
  chunks.push(...chunker.push(Buffer.from(next(Math.min(10_000, rows - done)))));
chunks.push(...chunker.end());
const bytes = chunks.reduce((n, c) => n + c.data.length, 0);
say(
  `${rows} rows, ${(bytes / 1e6).toFixed(1)} MB (+ ${HEADER.length} B header) in ${chunks.length} chunks of ≤ ${chunkBytes} B, generated in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

// 3. publish them to the raw topic (before the loader runs, so only the loader is timed)
const ingestionId = randomUUID();
const columns = HEADER.trim().split(',');
const { rows: created } = await pool.query<{ ingestion_no: number }>(
  `INSERT INTO meta.ingestions (ingestion_id, state, columns) VALUES ($1, 'uploading', $2) RETURNING ingestion_no`,
  [ingestionId, columns],
);
const publisher = new Publisher(kafka, env);
t = performance.now();
// One message per request: a record batch of several ~512 KiB chunks would exceed the broker's 1 MB limit.
for (let i = 0; i < chunks.length; i += 4) {
  await Promise.all(
    chunks.slice(i, i + 4).map((c, k) =>
      publisher.send('rawChunks', [
        {
          key: `${ingestionId}:${i + k}`,
          value: c.data,
          headers: encodeRawChunkHeaders({ kind: 'chunk', ingestionId, seq: i + k, firstLine: c.firstLine, columns }),
        },
      ]),
    ),
  );
}
await pool.query(
  `UPDATE meta.ingestions SET total_chunks = $2, total_rows = $3, state = 'processing' WHERE ingestion_id = $1`,
  [ingestionId, chunks.length, rows],
);
await publisher.send('rawChunks', [
  {
    key: `${ingestionId}:end`,
    value: Buffer.alloc(0),
    headers: encodeRawChunkHeaders({ kind: 'end', ingestionId, totalChunks: chunks.length, totalRows: rows }),
  },
]);
await publisher.disconnect();
say(`published to ${env.KAFKA_RAW_PARTITIONS} raw partitions in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// 4. the loader, from process start to bronze complete
const port = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = server.address() as { port: number };
    server.close(() => resolve(p));
  });
});
await pool.query('CHECKPOINT');
t = performance.now();
const loader = spawn(process.execPath, [join(repoRoot(), 'dist/apps/bronze-loader/src/main.js')], {
  env: { ...childEnv, HTTP_HOST: '127.0.0.1', BRONZE_LOADER_PORT: String(port) },
  stdio: ['ignore', 'inherit', 'inherit'],
});
let done: { bronze_rows: string; first: Date; completed: Date } | undefined;
let observedAt = 0;
while (!done) {
  if (loader.exitCode !== null) throw new Error(`bronze-loader exited with ${loader.exitCode}`);
  const { rows: r } = await pool.query<{ bronze_rows: string; first: Date; completed: Date }>(
    `SELECT i.bronze_rows, i.bronze_completed_at AS completed, min(c.loaded_at) AS first
     FROM meta.ingestions i LEFT JOIN meta.bronze_chunks c USING (ingestion_no) WHERE i.ingestion_id = $1 GROUP BY i.ingestion_no`,
    [ingestionId],
  );
  if (r[0]?.completed) {
    done = r[0];
    observedAt = Date.now();
  } else await new Promise((resolve) => setTimeout(resolve, 50));
}
const wallMs = performance.now() - t;
await new Promise<void>((resolve) => {
  loader.once('exit', () => resolve());
  loader.kill('SIGTERM');
});
if (Number(done.bronze_rows) !== rows) throw new Error(`bronze has ${done.bronze_rows} rows, expected ${rows}`);
// bronze.records walks the bytes in PL/pgSQL (for lineage look-ups, not for a million rows): check the
// chunk rows' record counts and sizes instead.
const { rows: counted } = await pool.query<{ chunks: number; rows: number; bytes: number }>(
  `SELECT count(*)::int AS chunks, coalesce(sum(rows), 0)::int AS rows, coalesce(sum(length(data)), 0)::bigint::float8 AS bytes
     FROM bronze.chunks WHERE ingestion_no = $1`,
  [created[0].ingestion_no],
);
if (counted[0].chunks !== chunks.length || counted[0].rows !== rows || counted[0].bytes !== bytes) {
  throw new Error(
    `bronze.chunks holds ${counted[0].chunks} chunks, ${counted[0].rows} rows, ${counted[0].bytes} B; expected ${chunks.length}, ${rows}, ${bytes}`,
  );
}
// loaded_at is a chunk transaction's start: from the first one to seeing bronze complete (polled every
// 50 ms) spans all the loading work and excludes process boot and the consumer-group join.
const loadMs = observedAt - done.first.getTime();
say(
  `bronze-loader (concurrency ${concurrency}): ${(loadMs / 1000).toFixed(2)} s from the first chunk to bronze complete = ${rate(rows, loadMs)}`,
);
say(
  `  wall clock including process boot and consumer-group join: ${(wallMs / 1000).toFixed(2)} s = ${rate(rows, wallMs)}`,
);

// 5. for scale: the same chunks inserted straight into bronze.chunks as the loader inserts them (one
// row per chunk, its bytes as one bytea parameter, its record lines counted as the loader counts them),
// without Kafka, markers or counters
const baselineNo = created[0].ingestion_no + 1_000_000;
await pool.query('CHECKPOINT');
t = performance.now();
let nextChunk = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    const client = await pool.connect();
    try {
      for (let i = nextChunk++; i < chunks.length; i = nextChunk++) {
        const c = chunks[i];
        const lines = recordLines(c.data, c.firstLine);
        await client.query(
          `INSERT INTO bronze.chunks (ingestion_no, seq, start_line, first_line, last_line, rows, data)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [baselineNo, i, c.firstLine, lines.firstLine, lines.lastLine, lines.records, c.data],
        );
      }
    } finally {
      client.release();
    }
  }),
);
const insertMs = performance.now() - t;
say(
  `direct INSERT of the same chunks on ${concurrency} connection(s): ${(insertMs / 1000).toFixed(2)} s = ${rate(rows, insertMs)} (loader reaches ${Math.round((100 * insertMs) / loadMs)} % of it)`,
);

// 6. clean up
await pool.end();
const admin = kafka.admin();
await admin.connect();
await admin.deleteTopics({ topics: topicSpecs(env).map((s) => s.topic) }).catch(() => undefined);
await admin.disconnect();
if (!values.keep) await dropBenchDatabase(databaseUrl);
