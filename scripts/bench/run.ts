// `npm run bench -- --rows N`: generates N synthetic trips (cached under .cache/bench), measures a bare
// `psql \copy` of the file into an empty table of text columns, then pushes the same file through the whole
// pipeline (upload-gateway → Kafka → bronze-loader → transformer → gold) on a fresh database and reports
// end-to-end rows/s and the ratio to the bare copy. While the pipeline runs it samples, every second, the
// rows in bronze and silver and each service's RSS (and the Kafka broker's); at the end it prints peak RSS
// and silver throughput per slice of the rows. Then it prints the database size and bytes per row per
// layer, waits until no segment merge is due, and starts query-api on the result and measures random
// region / bounding-box weekly-average queries (p50/p95), checking answers against brute force. All
// samples and figures go to .cache/bench/run-<N>-<timestamp>.json (charts.ts draws them).
// Options: --rows N, --queries N (default 300; 0 skips), --keep (keep the bench database),
//   --shape plain|varied (generate.ts), --stream (generate the rows during the upload instead of from a
//   cached file; the bare copy is then measured on a 1M-row file and scaled to N rows), --live (also run
//   the notifier, follow its all-ingestions feed with a socket.io client during the ingestion and print how
//   long after its occurredAt each event arrived: p50 / p95 / max per event type; the notifier's work then
//   shares the machine, so throughput is not comparable with runs without it).
// Stops everything it started at the end, including a Kafka broker that it started itself.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '#config';
import { repoRoot } from '#db';
import { createKafka, ensureTopics } from '#kafka';
import { nextMerge, type MergePolicy } from '../../apps/transformer/src/transform/merge-policy.js';
import { csvStream, SHAPES, type Shape } from './generate.js';
import { benchDatabaseUrl, dropBenchDatabase, freshBenchDatabase } from './database.js';
import { runQueryBenchDetailed, type QueryBenchDetail } from './queries.js';
import { bareCopyMs, benchFile, processCpuMs } from './reference.js';
import { layerBytes } from './sizes.js';
import { LiveLatency, summarize } from './live.js';
import { PgCpu } from './pg-cpu.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    queries: { type: 'string', default: '300' },
    database: { type: 'string', default: 'trips_bench' },
    shape: { type: 'string', default: 'plain' },
    stream: { type: 'boolean', default: false },
    live: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const shape = values.shape as Shape;
if (!SHAPES.includes(shape)) throw new Error(`--shape must be one of ${SHAPES.join(', ')}`);
if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a positive integer');
const stream = values.stream;
/** Times the bare copy is measured; its median is the reference. */
const BARE_COPY_RUNS = 3;

/** Rows of the file the bare copy is measured on in --stream mode (then scaled to N rows). */
const REFERENCE_ROWS = 1_000_000;
/** Seconds between progress lines during the ingestion. */
const PROGRESS_EVERY_S = 60;
const root = repoRoot();
const say = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(2);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const startedAt = new Date();
const jsonPath = join(root, '.cache', 'bench', `run-${rows}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);

type Phase = 'ingest' | 'sizes' | 'merge' | 'queries';
interface Sample {
  /** Seconds since the upload started. */
  t: number;
  phase: Phase;
  state: string | null;
  bronze: number | null;
  /** silver_rows + rejected_rows */
  silver: number | null;
  /** RSS per service (and `kafka`) in MB. */
  rssMb: Record<string, number>;
}
const samples: Sample[] = [];
const figures: Record<string, unknown> = {};
let queryPhase: QueryBenchDetail | undefined;

// ---- cleanup: everything the bench starts is stopped here, once --------------------------------------
const children = new Map<string, ChildProcess>();
let pool: pg.Pool | undefined;
let kafkaStartedByBench = false;
let sampler: NodeJS.Timeout | undefined;
let upload: Readable | undefined;
let databaseCreated = false;
let cleaning: Promise<void> | undefined;
let live: LiveLatency | undefined;

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => c.kill('SIGKILL'), 20_000);
    c.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    c.kill('SIGTERM');
  });
}

function cleanup(error?: unknown): Promise<void> {
  cleaning ??= (async () => {
    clearInterval(sampler);
    live?.close();
    upload?.destroy();
    await Promise.all([...children.values()].map(stopChild));
    await pool?.end().catch(() => undefined);
    if (databaseCreated && !values.keep)
      await dropBenchDatabase(databaseUrl).catch((e: unknown) => say(`drop database: ${String(e)}`));
    writeReport(error);
    if (kafkaStartedByBench) {
      say('stopping the Kafka broker the bench started');
      try {
        execFileSync('bash', [join(root, 'scripts/kafka/stop.sh')], { stdio: 'inherit' });
      } catch (e) {
        say(`scripts/kafka/stop.sh failed: ${String(e)}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything the bench started`);
    void cleanup(new Error(signal)).finally(() => process.exit(130));
  });
}

function writeReport(error?: unknown): void {
  if (samples.length === 0 && !queryPhase) return;
  mkdirSync(join(root, '.cache', 'bench'), { recursive: true });
  const report = {
    rows,
    shape,
    stream,
    startedAt: startedAt.toISOString(),
    figures,
    samples,
    queries: queryPhase?.samples ?? [],
    ...(error ? { error: error instanceof Error ? error.message : JSON.stringify(error) } : {}),
  };
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 1)}\n`);
  say(`samples and figures: ${jsonPath}`);
}

// ---- helpers ----------------------------------------------------------------------------------------
const databaseUrl = benchDatabaseUrl(values.database);

/** Busy CPU time of the whole machine (all cores) in ms, from /proc/stat (USER_HZ = 100). */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** CPU ms of a process, 0 once it is gone (processCpuMs gives NaN then). */
function safeCpuMs(pid: number): number {
  const ms = processCpuMs(pid);
  return Number.isNaN(ms) ? 0 : ms;
}

/** VmRSS of a process in MB, or undefined when it is gone (or /proc cannot tell). */
function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** The local Kafka broker's pid: from scripts/kafka's pid file, else the process running kafka.Kafka. */
function kafkaPid(): number | undefined {
  const isBroker = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('\0kafka.Kafka\0');
    } catch {
      return false;
    }
  };
  const pidFile = join(root, '.cache', 'kafka', 'kafka.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0 && isBroker(pid)) return pid;
  }
  for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry) && isBroker(Number(entry))) return Number(entry);
  return undefined;
}

/**
 * Rows/s of each slice of `step` rows: the time at which the count reached each slice boundary is
 * interpolated linearly between samples (counts grow in steps: a segment's rows land at once).
 */
function sliceRates(points: { t: number; v: number }[], n: number, step: number) {
  const sorted = [{ t: 0, v: 0 }, ...points].sort((a, b) => a.t - b.t || a.v - b.v);
  const timeAt = (b: number) => {
    if (b <= 0) return 0;
    for (let i = 1; i < sorted.length; i++) {
      const [a, c] = [sorted[i - 1], sorted[i]];
      if (c.v >= b) return c.v === a.v ? c.t : a.t + ((c.t - a.t) * (b - a.v)) / (c.v - a.v);
    }
    return Number.NaN;
  };
  const slices: { from: number; to: number; seconds: number; rowsPerSec: number }[] = [];
  for (let from = 0; from < n; from += step) {
    const to = Math.min(n, from + step);
    const seconds = timeAt(to) - timeAt(from);
    slices.push({ from, to, seconds, rowsPerSec: seconds > 0 ? (to - from) / seconds : Number.NaN });
  }
  return slices;
}

// ---- the run ----------------------------------------------------------------------------------------
try {
  // 1. data
  let file: string | undefined;
  let referenceFile: string;
  if (stream) {
    referenceFile = await benchFile(REFERENCE_ROWS, say, shape);
    say(`stream: ${rows} rows (${shape}) generated during the upload, no file; bare-copy reference: ${referenceFile}`);
  } else {
    file = referenceFile = await benchFile(rows, say, shape);
    say(`file: ${rows} rows, ${mb(statSync(file).size)} MB`);
  }

  // 2. infrastructure: Kafka, a fresh bench database, topics under a bench prefix
  {
    let out = '';
    try {
      out = execFileSync('bash', [join(root, 'scripts/kafka/start.sh')], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
    } catch (e) {
      out = (e as { stdout?: string }).stdout ?? '';
      throw e;
    } finally {
      process.stdout.write(out);
      // start.sh says "started kafka.Kafka (pid N)" when it launched the broker, "already running" otherwise.
      kafkaStartedByBench = /started kafka\.Kafka/.test(out);
    }
  }
  const prefix = `bench-${Date.now().toString(36)}.`;
  const env = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });
  databaseCreated = true;
  await freshBenchDatabase(values.database);
  await ensureTopics(createKafka(env, 'bench'), env);

  // 3. baseline: bare \copy into an empty logged text table
  pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  // The copy's time varies by a third between runs on this machine (1.19–1.64 s for 1M rows): its
  // median of three is the reference, and all three are printed.
  const copies: number[] = [];
  const copyRows = stream ? REFERENCE_ROWS : rows;
  for (let i = 0; i < BARE_COPY_RUNS; i++)
    copies.push(await bareCopyMs(pool, databaseUrl, referenceFile, copyRows, shape));
  const measuredMs = [...copies].sort((a, b) => a - b)[Math.floor(BARE_COPY_RUNS / 2)];
  const runs = copies.map(secs).join(', ');
  const copyMs = stream ? (measuredMs * rows) / REFERENCE_ROWS : measuredMs;
  if (stream) {
    say(
      `bare psql \\copy (1M-row file, scaled ×${rows}/1M): ${secs(copyMs)} s (${Math.round(rows / (copyMs / 1000))} rows/s; median of ${runs} s for 1M rows)`,
    );
  } else {
    say(`bare psql \\copy: ${secs(copyMs)} s (${Math.round(rows / (copyMs / 1000))} rows/s; median of ${runs} s)`);
  }
  figures.bareCopy = { ms: copyMs, measuredMs, measuredRows: copyRows, scaled: stream, runsMs: copies };
  {
    // The settings that matter most for ingestion (scripts/postgres/tune.sh), so a figure can be reproduced.
    const { rows: settings } = await pool.query<{ s: string }>(
      `SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) AS s
         FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression')`,
    );
    say(`postgres: ${settings[0].s}`);
    figures.postgres = settings[0].s;
  }

  // 4. the pipeline
  const childEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', // BENCH_LOG_LEVEL=info shows e.g. each segment's build steps
    HTTP_HOST: '127.0.0.1',
  };
  const ports: Record<string, number> = {
    'upload-gateway': 3900,
    'bronze-loader': 3903,
    transformer: 3904,
    'query-api': 3901,
    ...(values.live ? { notifier: 3902 } : {}),
  };
  for (const [name, port] of Object.entries(ports)) {
    const key = {
      'upload-gateway': 'UPLOAD_GATEWAY_PORT',
      'bronze-loader': 'BRONZE_LOADER_PORT',
      transformer: 'TRANSFORMER_PORT',
      'query-api': 'QUERY_API_PORT',
      notifier: 'NOTIFIER_PORT',
    }[name]!;
    children.set(
      name,
      spawn(process.execPath, [join(root, 'dist/apps', name, 'src/main.js')], {
        env: { ...childEnv, [key]: String(port) },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
  }
  for (const port of Object.values(ports)) {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error(`service on ${port} not healthy`);
      await sleep(200);
    }
  }

  // Sampling: rows in bronze / silver of the (only) ingestion and the RSS of every process, every second.
  const pids: Record<string, number | undefined> = Object.fromEntries([...children].map(([n, c]) => [n, c.pid]));
  pids.kafka = kafkaPid();
  if (values.live) {
    live = new LiveLatency(`http://127.0.0.1:${ports.notifier}`);
    await live.start();
    pids['live client'] = live.pid;
  }
  if (pids.kafka === undefined) say('Kafka broker pid not found: its RSS is not sampled');
  let phase: Phase = 'ingest';
  let sampling = false;
  const t = performance.now();
  // CPU of each process and of the whole machine over the ingestion: where the 2 cores went.
  const cpuAt = () => ({
    machineMs: machineBusyMs(),
    benchMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
    services: Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? 0 : safeCpuMs(pid)]),
    ),
  });
  const cpuStart = cpuAt();
  const pgCpu = new PgCpu(pool);
  await pgCpu.sample();
  const sample = async () => {
    const at = (performance.now() - t) / 1000;
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const v = rssMb(pid);
      if (v !== undefined) rss[name] = v;
    }
    const { rows: r } = await pool!.query<{ state: string; bronze: string; silver: string }>(
      `SELECT state, bronze_rows AS bronze, silver_rows + rejected_rows AS silver
         FROM meta.ingestions ORDER BY ingestion_no DESC LIMIT 1`,
    );
    samples.push({
      t: Number(at.toFixed(3)),
      phase,
      state: r[0]?.state ?? null,
      bronze: r[0] ? Number(r[0].bronze) : null,
      silver: r[0] ? Number(r[0].silver) : null,
      rssMb: rss,
    });
    if (phase === 'ingest') await pgCpu.sample();
    // A long run shows how it goes while it goes: a line every PROGRESS_EVERY_S seconds.
    if (phase === 'ingest' && r[0] && at - lastProgress.t >= PROGRESS_EVERY_S) {
      const silverNow = Number(r[0].silver);
      const rate = (silverNow - lastProgress.silver) / (at - lastProgress.t);
      say(
        `  ${at.toFixed(0)} s: bronze ${Number(r[0].bronze).toLocaleString('en')}, silver ${silverNow.toLocaleString('en')} ` +
          `(${(rate / 1000).toFixed(1)}k rows/s since the last line); RSS MB ${Object.entries(rss)
            .map(([n, v]) => `${n} ${v}`)
            .join(', ')}`,
      );
      lastProgress = { t: at, silver: silverNow };
    }
  };
  let lastProgress = { t: 0, silver: 0 };
  sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void sample()
      .catch(() => undefined)
      .finally(() => (sampling = false));
  }, 1000);

  const source = stream ? csvStream(rows, shape) : createReadStream(file!, { highWaterMark: 1 << 20 });
  upload = source;
  const res = await fetch(`http://127.0.0.1:${ports['upload-gateway']}/api/v1/ingestions`, {
    method: 'POST',
    headers: {
      'content-type': 'text/csv',
      'x-file-name': shape === 'plain' ? `trips-${rows}.csv` : `trips-${shape}-${rows}.csv`,
    },
    body: Readable.toWeb(source) as ReadableStream,
    duplex: 'half',
  });
  const body = (await res.json()) as { ingestionId: string };
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
  const uploadMs = performance.now() - t;
  if ('bytes' in source) say(`stream: ${mb(source.bytes())} MB generated and uploaded`);
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
    if (state !== 'completed') await sleep(100);
  }
  const pipelineMs = performance.now() - t;
  const silver = Number(status.silver_rows) + Number(status.rejected_rows);
  samples.push({
    t: Number((pipelineMs / 1000).toFixed(3)),
    phase,
    state,
    bronze: Number(status.bronze_rows),
    silver,
    rssMb: {},
  });
  phase = 'sizes';
  if (silver !== rows) throw new Error(`silver + rejects = ${silver}, expected ${rows}`);
  if (Number(status.rejected_rows) > 0) say(`warning: ${String(status.rejected_rows)} rows rejected`);
  say(
    `pipeline: upload→gold completed in ${secs(pipelineMs)} s (${Math.round(rows / (pipelineMs / 1000))} rows/s end to end)`,
  );
  say(
    `  stages (from acceptance): upload ${secs(Number(status.upload_ms))} s (HTTP 202 after ${secs(uploadMs)} s), ` +
      `bronze ${secs(Number(status.bronze_ms))} s, silver+gold ${secs(Number(status.total_ms))} s`,
  );
  say(`ratio pipeline / bare copy: ${(pipelineMs / copyMs).toFixed(2)}×`);
  figures.pipeline = {
    ms: pipelineMs,
    rowsPerSec: rows / (pipelineMs / 1000),
    httpAcceptedMs: uploadMs,
    uploadMs: Number(status.upload_ms),
    bronzeMs: Number(status.bronze_ms),
    totalMs: Number(status.total_ms),
    ratioToBareCopy: pipelineMs / copyMs,
    silverRows: Number(status.silver_rows),
    rejectedRows: Number(status.rejected_rows),
  };

  if (live) {
    // The completion events are published right after the commit the loop above saw: wait for them.
    for (let i = 0; i < 100 && !live.delays.some((d) => d.type === 'ingestion.completed'); i++) await sleep(100);
    live.close();
    const l = summarize(live.delays);
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    say(
      `live events on the all-ingestions feed: ${l.events}, delay after occurredAt p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, max ${ms(l.max)}`,
    );
    for (const [type, t] of Object.entries(l.byType))
      say(`  ${type.padEnd(20)} n=${String(t.n).padStart(4)}  p50 ${ms(t.p50)}  p95 ${ms(t.p95)}  max ${ms(t.max)}`);
    say(`  slowest: ${l.slowest.map((d) => `${d.type} at ${d.occurredAt} +${d.ms} ms`).join('; ')}`);
    if (kafkaStartedByBench)
      say(
        "  (this run started the Kafka broker: a JVM just started is still warming up, and the first seconds' events " +
          'arrive later than on a running broker; start it first, `npm run kafka:start`, to measure a running deployment)',
      );
    figures.live = { ...l, brokerStartedByBench: kafkaStartedByBench, delays: live.delays };
  }

  // CPU per process over the ingestion; PostgreSQL and everything else is the machine's rest.
  {
    const end = cpuAt();
    const us = (ms: number) => ((ms * 1000) / rows).toFixed(2);
    const per = Object.entries(end.services).map(([name, ms]) => [name, ms - (cpuStart.services[name] ?? 0)] as const);
    const ours = per.reduce((n, [, ms]) => n + ms, 0) + (end.benchMs - cpuStart.benchMs);
    const machine = end.machineMs - cpuStart.machineMs;
    say(
      `CPU during ingestion (µs per row): ${per.map(([n, ms]) => `${n} ${us(ms)}`).join(', ')}, bench process ${us(end.benchMs - cpuStart.benchMs)}, ` +
        `PostgreSQL and the rest ${us(machine - ours)}; machine ${us(machine)} = ${(machine / pipelineMs).toFixed(2)} of ${cpus().length} cores busy`,
    );
    await pgCpu.sample().catch(() => undefined);
    const pgTotals = pgCpu.totals();
    say(
      `  PostgreSQL's processes, by client or kind (µs per row): ${pgTotals.map(([n, ms]) => `${n} ${us(ms)}`).join(', ')}`,
    );
    figures.postgresCpuUsPerRow = Object.fromEntries(pgTotals.map(([n, ms]) => [n, (ms * 1000) / rows]));
    figures.cpuUsPerRow = Object.fromEntries([
      ...per.map(([n, ms]) => [n, (ms * 1000) / rows]),
      ['machine', (machine * 1000) / rows],
    ]);
  }

  // Peak RSS and throughput per slice, from the samples of the ingestion.
  const peak: Record<string, number> = {};
  for (const s of samples) for (const [name, v] of Object.entries(s.rssMb)) peak[name] = Math.max(peak[name] ?? 0, v);
  say(
    `peak RSS (MB, during ingestion): ${Object.entries(peak)
      .map(([n, v]) => `${n} ${v.toFixed(0)}`)
      .join(', ')}`,
  );
  const step = rows >= 20_000_000 ? 10_000_000 : rows / 10;
  const label = (from: number, to: number) =>
    rows >= 20_000_000
      ? `${from / 1e6}–${to / 1e6}M`
      : `${Math.round((from / rows) * 100)}–${Math.round((to / rows) * 100)}%`;
  const kilo = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)}k` : '—');
  const slices: Record<string, ReturnType<typeof sliceRates>> = {};
  for (const layer of ['silver', 'bronze'] as const) {
    slices[layer] = sliceRates(
      samples.filter((s) => s[layer] !== null).map((s) => ({ t: s.t, v: s[layer]! })),
      rows,
      step,
    );
  }
  say(
    `silver rows/s per ${rows >= 20_000_000 ? '10M' : '10%'} slice: ${slices.silver.map((s) => `${label(s.from, s.to)} ${kilo(s.rowsPerSec)}`).join(', ')}`,
  );
  const steps = new Set(samples.map((s) => s.silver ?? 0).filter((v) => v > 0)).size;
  if (steps < slices.silver.length)
    say(`  (silver grew in ${steps} step(s) between samples — a segment's rows land at once — so slices share a rate)`);
  say(
    `  (bronze: ${slices.bronze.map((s) => `${label(s.from, s.to)} ${kilo(s.rowsPerSec)}`).join(', ')}; ${samples.length} samples)`,
  );
  figures.peakRssMb = peak;
  figures.sliceRowsPerSec = slices;

  // 5. sizes after VACUUM ANALYZE
  await pool.query('VACUUM ANALYZE');
  const sizes = await layerBytes(pool);
  const perRow = (layer: string) => (sizes[layer] ?? 0) / rows;
  say(
    `database: ${mb(sizes.database)} MB after VACUUM ANALYZE; bytes per row: ` +
      ['bronze', 'silver', 'gold', 'meta'].map((l) => `${l} ${perRow(l).toFixed(1)}`).join(', ') +
      `, whole database ${perRow('database').toFixed(1)}`,
  );
  figures.layerBytes = sizes;

  // 6. background merges: wait until none is due (the transformer's own policy and configuration)
  phase = 'merge';
  const policy: MergePolicy = { baseRows: env.SEGMENT_ROWS, fanIn: env.MERGE_FAN_IN, maxRows: env.MERGE_MAX_ROWS };
  const partitions = async () =>
    Number(
      (
        await pool!.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'silver.trips'::regclass`,
        )
      ).rows[0].n,
    );
  const segments = async () =>
    (
      await pool!.query<{ segment_no: number; rows: string }>(
        'SELECT segment_no, valid_rows AS rows FROM meta.segments ORDER BY segment_no',
      )
    ).rows.map((r) => ({ segmentNo: r.segment_no, rows: Number(r.rows) }));
  const partitionsBefore = await partitions();
  const segmentsBefore = (await segments()).length;
  const tm = performance.now();
  if (env.MERGE_INTERVAL_MS === 0) say('merges: disabled (MERGE_INTERVAL_MS=0), not waiting');
  else {
    while (nextMerge(await segments(), policy).length > 0) {
      if (performance.now() - tm > 3600_000) throw new Error('merges still due after 1 h');
      await sleep(2000);
    }
  }
  const mergeMs = performance.now() - tm;
  const partitionsAfter = await partitions();
  const segmentsAfter = (await segments()).length;
  const merges = (segmentsBefore - segmentsAfter) / (policy.fanIn - 1);
  say(
    `merges: ${merges} merge(s), none due ${secs(mergeMs)} s after completion ` +
      `(SEGMENT_ROWS ${policy.baseRows}, MERGE_FAN_IN ${policy.fanIn}, MERGE_MAX_ROWS ${policy.maxRows}); ` +
      `silver.trips partitions ${partitionsBefore} → ${partitionsAfter}`,
  );
  figures.merges = { ms: mergeMs, merges, partitionsBefore, partitionsAfter, segmentsBefore, segmentsAfter, policy };

  // 7. queries
  phase = 'queries';
  const queries = Number(values.queries);
  if (queries > 0) {
    await pool.query('VACUUM ANALYZE');
    if (merges > 0) {
      const after = await layerBytes(pool);
      say(`  after merges: database ${mb(after.database)} MB, silver ${(after.silver / rows).toFixed(1)} bytes/row`);
      figures.layerBytesAfterMerges = after;
    }
    const regionNames = (await pool.query<{ name: string }>('SELECT name FROM silver.regions ORDER BY name')).rows.map(
      (r) => r.name,
    );
    const q = await runQueryBenchDetailed(`http://127.0.0.1:${ports['query-api']}`, pool, queries, 5, regionNames);
    queryPhase = q;
    say(
      `queries: ${queries} weekly-average queries, p50 ${q.p50.toFixed(1)} ms, p95 ${q.p95.toFixed(1)} ms; ${q.checked} answers checked exact against brute force`,
    );
    say(
      `  brute-force checks per kind: ${Object.entries(q.checkedByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    for (const [kind, k] of Object.entries(q.byKind)) {
      say(
        `  ${kind.padEnd(22)} n=${String(k.n).padStart(4)}  p50 ${k.p50.toFixed(1).padStart(6)} ms  p95 ${k.p95.toFixed(1).padStart(6)} ms  max ${k.max.toFixed(1).padStart(6)} ms`,
      );
    }
    figures.queries = { n: queries, p50: q.p50, p95: q.p95, checkedByKind: q.checkedByKind, byKind: q.byKind };
  }
  await cleanup();
} catch (error) {
  await cleanup(error);
  throw error;
}
