// `npm run bench -- --rows N`: generates N synthetic trips (cached under .cache/bench), measures a bare
// `psql \copy` of the file into an empty 5-text-column table, then pushes the same file through the whole
// pipeline (upload-gateway → Kafka → bronze-loader → transformer → gold) on a fresh database and reports
// end-to-end rows/s and the ratio to the bare copy; then starts query-api on the result and measures
// random region / bounding-box weekly-average queries (p50/p95), checking answers against brute force.
// Options: --rows N, --queries N (default 300; 0 skips), --keep (keep the bench database).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '#config';
import { ensureDatabase, repoRoot, runMigrations } from '#db';
import { createKafka, ensureTopics } from '#kafka';
import { runQueryBenchDetailed } from './queries.js';
import { bareCopyMs, benchFile } from './reference.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    queries: { type: 'string', default: '300' },
    database: { type: 'string', default: 'trips_bench' },
  },
});
const rows = Number(values.rows);
const root = repoRoot();
const say = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(2);

// 1. data
const file = await benchFile(rows, say);
const bytes = statSync(file).size;
say(`file: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB`);

// 2. infrastructure: Kafka, a fresh bench database, topics under a bench prefix
execFileSync('bash', [join(root, 'scripts/kafka/start.sh')], { stdio: 'inherit' });
const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips');
base.pathname = `/${values.database}`;
const databaseUrl = base.toString();
const prefix = `bench-${Date.now().toString(36)}.`;
const env = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });
async function dropBenchDatabase(): Promise<void> {
  if (!values.database.includes('bench')) throw new Error('the bench database name must contain "bench"');
  const admin = new pg.Client({ connectionString: databaseUrl.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(values.database)} WITH (FORCE)`);
  await admin.end();
}
await dropBenchDatabase();
await ensureDatabase(databaseUrl);
await runMigrations(databaseUrl);
await ensureTopics(createKafka(env, 'bench'), env);

// 3. baseline: bare \copy into an empty logged text table
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const copyMs = await bareCopyMs(pool, databaseUrl, file, rows);
say(`bare psql \\copy: ${secs(copyMs)} s (${Math.round(rows / (copyMs / 1000))} rows/s)`);
{
  // The settings that matter most for ingestion (scripts/postgres/tune.sh), so a figure can be reproduced.
  const { rows: settings } = await pool.query<{ s: string }>(
    `SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) AS s
       FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression')`,
  );
  say(`postgres: ${settings[0].s}`);
}

// 4. the pipeline
const children: ChildProcess[] = [];
const childEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  KAFKA_TOPIC_PREFIX: prefix,
  LOG_LEVEL: 'warn',
  HTTP_HOST: '127.0.0.1',
};
const ports = { 'upload-gateway': 3900, 'bronze-loader': 3903, transformer: 3904, 'query-api': 3901 } as const;
for (const [name, port] of Object.entries(ports)) {
  const key = {
    'upload-gateway': 'UPLOAD_GATEWAY_PORT',
    'bronze-loader': 'BRONZE_LOADER_PORT',
    transformer: 'TRANSFORMER_PORT',
    'query-api': 'QUERY_API_PORT',
  }[name]!;
  children.push(
    spawn(process.execPath, [join(root, 'dist/apps', name, 'src/main.js')], {
      env: { ...childEnv, [key]: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
}
const stopChildren = () =>
  Promise.all(
    children.map(
      (c) => new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM')))),
    ),
  );
try {
  for (const port of Object.values(ports)) {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error(`service on ${port} not healthy`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const t = performance.now();
  const res = await fetch(`http://127.0.0.1:${ports['upload-gateway']}/api/v1/ingestions`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'x-file-name': `trips-${rows}.csv` },
    body: Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 20 })) as ReadableStream,
    duplex: 'half',
  });
  const body = (await res.json()) as { ingestionId: string };
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
  const uploadMs = performance.now() - t;
  let state = '';
  let status: Record<string, unknown> = {};
  while (state !== 'completed') {
    const { rows: r } = await pool.query<Record<string, unknown>>(
      `SELECT state, silver_rows, rejected_rows, bronze_rows,
              extract(epoch FROM upload_completed_at - accepted_at) * 1000 AS upload_ms,
              extract(epoch FROM bronze_completed_at - accepted_at) * 1000 AS bronze_ms,
              extract(epoch FROM completed_at - accepted_at) * 1000 AS total_ms, error_message
         FROM meta.ingestions WHERE ingestion_id = $1`,
      [body.ingestionId],
    );
    status = r[0];
    state = String(status.state);
    if (state === 'failed') throw new Error(`ingestion failed: ${String(status.error_message)}`);
    if (state !== 'completed') await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pipelineMs = performance.now() - t;
  const silver = Number(status.silver_rows) + Number(status.rejected_rows);
  if (silver !== rows) throw new Error(`silver + rejects = ${silver}, expected ${rows}`);
  say(
    `pipeline: upload→gold completed in ${secs(pipelineMs)} s (${Math.round(rows / (pipelineMs / 1000))} rows/s end to end)`,
  );
  say(
    `  stages (from acceptance): upload ${secs(Number(status.upload_ms))} s (HTTP 202 after ${secs(uploadMs)} s), ` +
      `bronze ${secs(Number(status.bronze_ms))} s, silver+gold ${secs(Number(status.total_ms))} s`,
  );
  say(`ratio pipeline / bare copy: ${(pipelineMs / copyMs).toFixed(2)}×`);

  const queries = Number(values.queries);
  if (queries > 0) {
    await pool.query('VACUUM ANALYZE');
    const q = await runQueryBenchDetailed(`http://127.0.0.1:${ports['query-api']}`, pool, queries);
    say(
      `queries: ${queries} weekly-average queries, p50 ${q.p50.toFixed(1)} ms, p95 ${q.p95.toFixed(1)} ms; ${q.checked} answers checked exact against brute force`,
    );
    for (const [kind, k] of Object.entries(q.byKind)) {
      say(
        `  ${kind.padEnd(22)} n=${String(k.n).padStart(4)}  p50 ${k.p50.toFixed(1).padStart(6)} ms  p95 ${k.p95.toFixed(1).padStart(6)} ms  max ${k.max.toFixed(1).padStart(6)} ms`,
      );
    }
  }
} finally {
  await stopChildren();
  await pool.end();
  if (!values.keep) await dropBenchDatabase();
}
