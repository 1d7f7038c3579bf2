// `npm run load`: query-api under load. By default it builds a database of its own (N synthetic trips,
// generate.ts, through the whole pipeline: gateway → Kafka → bronze-loader → transformer, then waits
// until no segment merge is due), starts query-api on it and runs autocannon against it with a mix of
// requests built from the data (load-mix.ts): weekly averages by region and by box in every match
// mode, with and without a period, trip groups, insights, the ingestions' list and status pages.
// Prints requests, throughput, latency p50/p90/p99/max (overall and per kind of request), non-2xx
// answers and errors, and exits 1 if there was any non-2xx answer, error or timeout. Writes the
// figures to .cache/bench/load-<timestamp>.json.
// Options: --rows N (default 1,000,000), --database NAME (an existing database: nothing is ingested,
//   no Kafka is needed), --keep (keep the database it built: trips_bench_load), --connections C
//   (default 50), --duration S (default 30), --timeout S (a request slower than this is an error;
//   default 10), --requests N (distinct requests drawn, default 20,000), --seed S, --mix kind=share,…
//   (load-mix.ts LOAD_MIX: region, bbox, trip-groups, insights, ingestions; e.g. --mix trip-groups=0).
// The services get this process's environment (DATABASE_POOL_SIZE, QUERY_API_STATEMENT_TIMEOUT_MS …)
// with LOG_LEVEL=warn; query-api's log goes to .cache/bench/load-<timestamp>-query-api.log, and the run
// counts its warnings and errors. Everything it started is stopped at the end, a Kafka broker it found
// running is not.
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '#config';
import { ensureTopics, createKafka } from '#kafka';
import { repoRoot } from '#db';
import { nextMerge } from '../../apps/transformer/src/transform/merge-policy.js';
import { benchDatabaseUrl, dropBenchDatabase, freshBenchDatabase } from './database.js';
import { loadRequests, parseMix, type DataFacts, type LoadKind, type LoadRequest } from './load-mix.js';
import { benchFile, machineBusyMs, processCpuMs } from './reference.js';
import { deleteTopics, startKafkaIfNeeded, startService, Teardown, type Service } from './stack.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    database: { type: 'string' },
    keep: { type: 'boolean', default: false },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '30' },
    timeout: { type: 'string', default: '10' },
    requests: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    mix: { type: 'string' },
  },
});
const positive = (name: keyof typeof values) => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const rows = positive('rows');
const connections = positive('connections');
const duration = positive('duration');
const timeout = positive('timeout');
const distinct = positive('requests');
const seed = positive('seed');
const mix = parseMix(values.mix);
const say = (msg: string) => process.stdout.write(`[load] ${msg}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const root = repoRoot();
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
mkdirSync(join(root, '.cache', 'bench'), { recursive: true });
const apiLog = join(root, '.cache', 'bench', `load-${stamp}-query-api.log`);

/** Rows of silver sampled for box centres. */
const SAMPLE_POINTS = 2_000;
/** Trip-group pages followed to collect cursors for later-page requests. */
const CURSOR_PAGES = 5;
/** Requests run one by one before the load: each must answer 200 (a bad request fails the run early). */
const WARM_UP = 200;

const teardown = new Teardown(say);
let exitCode = 0;
try {
  // 1. the database: an existing one, or one built through the pipeline
  let databaseUrl: string;
  let built = false;
  if (values.database !== undefined) {
    const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips');
    url.pathname = `/${values.database}`;
    databaseUrl = url.toString();
    say(`database ${values.database} as it is (--rows ignored)`);
  } else {
    databaseUrl = await buildDatabase();
    built = true;
  }

  // 2. query-api on it, and the facts the requests are built from
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  teardown.add('close the pool', () => pool.end());
  if (built) await pool.query('VACUUM ANALYZE');
  const api = await startService('query-api', { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }, teardown, {
    anyAnswer: true,
    logFile: apiLog,
  });
  const facts = await readFacts(pool, api);
  const trips = Number(
    (
      await pool.query<{ n: string }>(
        `SELECT coalesce(sum(silver_rows), 0) AS n FROM meta.ingestions WHERE state = 'completed'`,
      )
    ).rows[0].n,
  );
  const requests = loadRequests(facts, distinct, seed, mix);
  say(
    `${trips.toLocaleString('en')} trips, ${facts.regions.length} regions, weeks ${facts.firstWeek}–${facts.lastWeek}; ` +
      `${distinct.toLocaleString('en')} requests drawn (mix: ${Object.entries(mix)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
  );
  await warmUp(api, requests.slice(0, WARM_UP));

  // 3. the load
  say(`autocannon: ${connections} connections for ${duration} s against ${api.url} (timeout ${timeout} s)`);
  const load = await runLoad(api, requests);
  const summary = {
    startedAt: startedAt.toISOString(),
    options: { rows: built ? rows : undefined, database: values.database, connections, duration, timeout, seed, mix },
    trips,
    loadAverageBefore: load.loadAverageBefore,
    cores: cpus().length,
    env: Object.fromEntries(
      ['DATABASE_POOL_SIZE', 'QUERY_API_STATEMENT_TIMEOUT_MS'].map((k) => [k, process.env[k] ?? '(default)']),
    ),
    ...load.figures,
    queryApiLog: logSummary(apiLog),
  };
  report(summary);
  const file = join(root, '.cache', 'bench', `load-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 1)}\n`);
  say(`figures: ${file}`);
  // autocannon's errors include its timeouts.
  const failed = summary.non2xx + summary.errors;
  if (failed > 0) {
    say(`FAILED: ${summary.non2xx} non-2xx answers, ${summary.errors} errors (${summary.timeouts} timeouts)`);
    exitCode = 1;
  }
} catch (error) {
  say(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await teardown.run();
}
process.exit(exitCode);

/**
 * A fresh bench database with `rows` generated trips ingested through the pipeline (the cached file of
 * npm run bench), once no merge is due; the ingestion services are stopped again, Kafka stays up
 * until the end (stopped then if this run started it; the run's topics are deleted).
 */
async function buildDatabase(): Promise<string> {
  const file = await benchFile(rows, say);
  startKafkaIfNeeded(teardown, say);
  const name = 'trips_bench_load';
  const url = benchDatabaseUrl(name);
  teardown.add('drop the database', async () => {
    if (values.keep) say(`kept database ${name} (next time: npm run load -- --database ${name})`);
    else await dropBenchDatabase(url);
  });
  await freshBenchDatabase(name);
  const prefix = `bench-load-${Date.now().toString(36)}.`;
  const env = loadConfig({ ...process.env, DATABASE_URL: url, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });
  teardown.add('delete the topics', () => deleteTopics(env, prefix));
  await ensureTopics(createKafka(env, 'bench-load'), env);
  const serviceEnv = { DATABASE_URL: url, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const services: Service[] = await Promise.all(
    (['upload-gateway', 'bronze-loader', 'transformer'] as const).map((s) => startService(s, serviceEnv, teardown)),
  );
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const t = performance.now();
    const res = await fetch(`${services[0].url}/api/v1/ingestions`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'x-file-name': `trips-${rows}.csv` },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 20 })) as ReadableStream,
      duplex: 'half',
    });
    const body = (await res.json()) as { ingestionId?: string };
    if (res.status !== 202 || !body.ingestionId)
      throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
    for (;;) {
      const { rows: r } = await pool.query<{ state: string; error_message: string | null }>(
        'SELECT state, error_message FROM meta.ingestions WHERE ingestion_id = $1',
        [body.ingestionId],
      );
      if (r[0]?.state === 'failed') throw new Error(`ingestion failed: ${r[0].error_message}`);
      if (r[0]?.state === 'completed') break;
      await sleep(200);
    }
    say(`ingested ${rows.toLocaleString('en')} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // Merges rewrite partitions: let them finish first, so the load measures the queries alone.
    const policy = { baseRows: env.SEGMENT_ROWS, fanIn: env.MERGE_FAN_IN, maxRows: env.MERGE_MAX_ROWS };
    const tm = performance.now();
    for (;;) {
      const { rows: segments } = await pool.query<{ segment_no: number; rows: string }>(
        'SELECT segment_no, valid_rows AS rows FROM meta.segments',
      );
      if (
        env.MERGE_INTERVAL_MS === 0 ||
        nextMerge(
          segments.map((s) => ({ segmentNo: s.segment_no, rows: Number(s.rows) })),
          policy,
        ).length === 0
      )
        break;
      if (performance.now() - tm > 3600_000) throw new Error('merges still due after 1 h');
      await sleep(2000);
    }
    say(`no merge due ${((performance.now() - tm) / 1000).toFixed(1)} s after completion`);
  } finally {
    await pool.end();
  }
  await Promise.all(services.map((s) => s.stop()));
  return url;
}

/** Regions, datasources, weeks, sampled trip ends, ingestion ids and trip-group cursors of the database. */
async function readFacts(pool: pg.Pool, api: Service): Promise<DataFacts> {
  const names = async (sql: string) => (await pool.query<{ name: string }>(sql)).rows.map((r) => r.name);
  const weeks = (
    await pool.query<{ first: string | null; last: string | null }>(
      `SELECT to_char(min(week_start), 'YYYY-MM-DD') AS first, to_char(max(week_start), 'YYYY-MM-DD') AS last
         FROM gold.weekly_region_counts`,
    )
  ).rows[0];
  if (!weeks.first || !weeks.last) throw new Error('the database holds no trips');
  const total = Number(
    (await pool.query<{ n: string }>('SELECT coalesce(sum(valid_rows), 0) AS n FROM meta.segments')).rows[0].n,
  );
  // Whole pages of silver (SYSTEM sampling), so sampling 100M rows reads ~ SAMPLE_POINTS rows' pages.
  const percent = Math.min(100, (100 * SAMPLE_POINTS * 2) / Math.max(1, total));
  const points = (
    await pool.query<{ lon: number; lat: number }>(
      `SELECT CASE WHEN line_no % 2 = 0 THEN origin_lon ELSE destination_lon END AS lon,
              CASE WHEN line_no % 2 = 0 THEN origin_lat ELSE destination_lat END AS lat
         FROM silver.trips TABLESAMPLE SYSTEM ($1) REPEATABLE ($2) LIMIT ${SAMPLE_POINTS}`,
      [percent, seed],
    )
  ).rows.map((r): [number, number] => [r.lon, r.lat]);
  const groupCursors: string[] = [];
  for (let cursor: string | null = null, i = 0; i < CURSOR_PAGES; i++) {
    const page = (await (
      await fetch(`${api.url}/api/v1/trip-groups?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    ).json()) as { nextCursor: string | null };
    if (!page.nextCursor) break;
    groupCursors.push((cursor = page.nextCursor));
  }
  return {
    regions: await names(
      `SELECT r.name FROM silver.regions r
        WHERE EXISTS (SELECT 1 FROM gold.weekly_region_counts c WHERE c.region_id = r.region_id) ORDER BY r.name`,
    ),
    datasources: await names('SELECT name FROM silver.datasources ORDER BY name'),
    firstWeek: weeks.first,
    lastWeek: weeks.last,
    points,
    ingestionIds: (
      await pool.query<{ id: string }>(
        'SELECT ingestion_id AS id FROM meta.ingestions ORDER BY accepted_at DESC LIMIT 20',
      )
    ).rows.map((r) => r.id),
    groupCursors,
  };
}

/** The first requests one by one: warms the caches, and any non-200 fails the run before the load. */
async function warmUp(api: Service, requests: LoadRequest[]): Promise<void> {
  const t = performance.now();
  for (const r of requests) {
    const res = await fetch(`${api.url}${r.path}`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`warm-up: ${r.path} answered ${res.status}: ${body.slice(0, 500)}`);
  }
  say(`warm-up: ${requests.length} requests one by one, all 200, in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** A connection's request in flight (autocannon's per-connection context). */
interface InFlight {
  request: LoadRequest;
  /** performance.now() when it was built. */
  t: number;
}

interface KindStats {
  n: number;
  non2xx: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** autocannon against query-api: each connection takes the next request of the list, round the list. */
async function runLoad(api: Service, requests: LoadRequest[]) {
  const byKind = new Map<LoadKind, number[]>();
  const non2xxByKind = new Map<LoadKind, number>();
  /** The first answers of each non-2xx status, to say what went wrong. */
  const failures = new Map<number, { path: string; body: string }[]>();
  let next = 0;
  const loadAverageBefore = loadavg()[0];
  const cpu = () => ({ api: processCpuMs(api.child.pid!), self: process.cpuUsage(), machine: machineBusyMs() });
  const before = cpu();
  const result = await autocannon({
    url: api.url,
    connections,
    duration,
    timeout,
    requests: [
      {
        method: 'GET',
        // Per-kind latency from the build of a request (just before it is written: one request in
        // flight per connection) to its response.
        setupRequest: (req, context) => {
          const r = requests[next++ % requests.length];
          Object.assign(context, { request: r, t: performance.now() } satisfies InFlight);
          return { ...req, path: r.path };
        },
        onResponse: (status, body, context) => {
          const { request, t } = context as InFlight;
          const ms = performance.now() - t;
          (byKind.get(request.kind) ?? byKind.set(request.kind, []).get(request.kind)!).push(ms);
          if (status < 200 || status > 299) {
            non2xxByKind.set(request.kind, (non2xxByKind.get(request.kind) ?? 0) + 1);
            const seen = failures.get(status) ?? failures.set(status, []).get(status)!;
            if (seen.length < 3) seen.push({ path: request.path, body: body.slice(0, 300) });
          }
        },
      },
    ],
  });
  const after = cpu();
  const pct = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const kinds: Record<string, KindStats> = {};
  for (const [kind, ms] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    ms.sort((a, b) => a - b);
    kinds[kind] = {
      n: ms.length,
      non2xx: non2xxByKind.get(kind) ?? 0,
      p50: pct(ms, 50),
      p90: pct(ms, 90),
      p99: pct(ms, 99),
      max: ms.at(-1)!,
    };
  }
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  const selfMs = (after.self.user - before.self.user + after.self.system - before.self.system) / 1000;
  return {
    loadAverageBefore,
    figures: {
      seconds,
      requests: result.requests.total,
      requestsPerSec: result.requests.total / seconds,
      bytesPerSec: result.throughput.average,
      latencyMs: {
        mean: result.latency.mean,
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, c]): [string, number] => [code, c.count ?? 0]),
      ),
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      byKind: kinds,
      failures: Object.fromEntries(failures),
      cpu: {
        queryApiMsPerRequest: (after.api - before.api) / result.requests.total,
        loadGeneratorMsPerRequest: selfMs / result.requests.total,
        machineCoresBusy: (after.machine - before.machine) / 1000 / seconds,
      },
    },
  };
}

/** Warnings and errors in query-api's log (JSON lines), counted by message. */
function logSummary(file: string): {
  file: string;
  warnings: number;
  errors: number;
  messages: Record<string, number>;
} {
  let warnings = 0;
  let errors = 0;
  const messages: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
    if ((entry.level ?? 0) < 40) continue;
    if ((entry.level ?? 0) >= 50) errors++;
    else warnings++;
    const text = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    messages[text] = (messages[text] ?? 0) + 1;
  }
  return { file, warnings, errors, messages };
}

function report(s: {
  trips: number;
  loadAverageBefore: number;
  cores: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  bytesPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  byKind: Record<string, KindStats>;
  failures: Record<string, { path: string; body: string }[]>;
  cpu: { queryApiMsPerRequest: number; loadGeneratorMsPerRequest: number; machineCoresBusy: number };
  queryApiLog: ReturnType<typeof logSummary>;
}): void {
  const f = (ms: number) => ms.toFixed(1).padStart(7);
  say(
    `${s.requests.toLocaleString('en')} requests in ${s.seconds.toFixed(1)} s: ${s.requestsPerSec.toFixed(1)} req/s, ` +
      `${(s.bytesPerSec / 1e6).toFixed(2)} MB/s`,
  );
  say(
    `latency ms: p50 ${s.latencyMs.p50}, p90 ${s.latencyMs.p90}, p99 ${s.latencyMs.p99}, max ${s.latencyMs.max}, mean ${s.latencyMs.mean.toFixed(1)}`,
  );
  say(
    `answers: ${Object.entries(s.statusCodes)
      .map(([code, n]) => `${code} × ${n}`)
      .join(', ')}; non-2xx ${s.non2xx}, errors ${s.errors} (timeouts ${s.timeouts})`,
  );
  say('per kind (ms, from the load generator):');
  for (const [kind, k] of Object.entries(s.byKind))
    say(
      `  ${kind.padEnd(17)} n=${String(k.n).padStart(6)}  p50 ${f(k.p50)}  p90 ${f(k.p90)}  p99 ${f(k.p99)}  max ${f(k.max)}${k.non2xx ? `  non-2xx ${k.non2xx}` : ''}`,
    );
  for (const [status, seen] of Object.entries(s.failures))
    for (const x of seen) say(`  ${status}: ${x.path} → ${x.body}`);
  say(
    `CPU: query-api ${s.cpu.queryApiMsPerRequest.toFixed(2)} ms per request, load generator ${s.cpu.loadGeneratorMsPerRequest.toFixed(2)} ms; ` +
      `machine ${s.cpu.machineCoresBusy.toFixed(2)} of ${s.cores} cores busy (load average ${s.loadAverageBefore.toFixed(1)} before the run: other work shares them)`,
  );
  const log = s.queryApiLog;
  say(`query-api log: ${log.warnings} warnings, ${log.errors} errors (${log.file})`);
  for (const [message, n] of Object.entries(log.messages)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 5))
    say(`  ${n} × ${message}`);
}
