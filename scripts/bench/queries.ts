// Query benchmark: random weekly-average queries (regions, and boxes from a street to a whole city
// around the generator's cities, every match mode) against a running query-api, each answer on a
// sample checked against a brute-force count over silver.trips. `runQueryBench` is wired into
// `npm run bench`; standalone: node dist/scripts/bench/queries.js --database trips_bench [--n 300]
// starts a query-api on that database and prints latencies per kind of query; with --bbox
// minLon,minLat,maxLon,maxLat it times that one box instead, --repeat times in each match mode (median,
// min, max), each mode's answer checked against brute force.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { repoRoot } from '#db';
import { CITIES, DATASOURCES, rng } from './generate.js';

type Match = 'origin' | 'destination' | 'both' | 'any';
const MATCHES: Match[] = ['both', 'origin', 'destination', 'any'];

export interface BenchQuery {
  kind: 'region' | Match;
  params: Record<string, string>;
  /** Box width in degrees (0 for regions), to report latency by size. */
  size: number;
}

interface WeeklyAnswer {
  totalTrips: number;
  series: { weekStart: string; trips: number }[];
}

/**
 * `n` queries: a quarter by region, the rest by box. Box centres lie within ~10 km of a city centre;
 * widths are log-uniform from 0.001° (a street, ~100 m) to 0.5° (a whole city); match modes are
 * equally likely. One in five restricts to a datasource, one in five to a period.
 */
export function benchQueries(n: number, seed = 1, regionNames?: readonly string[]): BenchQuery[] {
  const rand = rng(seed);
  // Region names per city: the city's own name, or (files of the `varied` shape) its districts, picked
  // from a second sequence so that the queries are the same whichever names the data holds.
  const randName = rng(seed ^ 0x7e91);
  const namesOf = (region: string) => {
    const names = (regionNames ?? []).filter((r) => r === region || r.startsWith(`${region} `));
    return names.length ? names : [region];
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const round = (v: number) => Number(v.toFixed(6));
  const queries: BenchQuery[] = [];
  for (let i = 0; i < n; i++) {
    const extra: Record<string, string> = {};
    if (rand() < 0.2) extra.datasource = pick(DATASOURCES);
    if (rand() < 0.2) {
      const start = Math.floor(rand() * 300);
      extra.from = new Date(Date.UTC(2018, 0, 1 + start)).toISOString().slice(0, 10);
      extra.to = new Date(Date.UTC(2018, 0, 1 + start + Math.floor(rand() * 90))).toISOString().slice(0, 10);
    }
    const city = pick(CITIES);
    if (rand() < 0.25) {
      const names = namesOf(city.region);
      const region = names.length === 1 ? names[0] : names[Math.floor(randName() * names.length)];
      queries.push({ kind: 'region', params: { region, ...extra }, size: 0 });
      continue;
    }
    const w = Math.exp(Math.log(0.001) + rand() * (Math.log(0.5) - Math.log(0.001)));
    const h = w * (0.5 + rand());
    const lon = city.lon + (rand() - 0.5) * 0.2;
    const lat = city.lat + (rand() - 0.5) * 0.12;
    const bbox = [lon - w / 2, lat - h / 2, lon + w / 2, lat + h / 2].map(round).join(',');
    const match = MATCHES[i % MATCHES.length];
    queries.push({ kind: match, params: { bbox, match, ...extra }, size: w });
  }
  return queries;
}

/**
 * Counts each query's trips per week straight from silver.trips: the reference, one sequential scan
 * for all of them (a scan per query takes a minute at 100M rows). Sharing nothing with the query-api's
 * plans, it reads every row and tests each query's predicate on it.
 */
async function bruteForce(pool: pg.Pool, queries: readonly BenchQuery[]): Promise<Map<string, number>[]> {
  if (queries.length === 0) return [];
  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  const predicates = queries.map((q) => {
    const p = q.params;
    const datasource = `(${param(p.datasource ?? null)}::text IS NULL OR d.name = $${values.length})`;
    if (q.kind === 'region') return `r.name_key = lower(trim(${param(p.region)}::text)) AND ${datasource}`;
    const [x0, y0, x1, y1] = p.bbox.split(',').map((v) => param(Number(v)) + '::float8');
    const o = `t.origin_lon BETWEEN ${x0} AND ${x1} AND t.origin_lat BETWEEN ${y0} AND ${y1}`;
    const d = `t.destination_lon BETWEEN ${x0} AND ${x1} AND t.destination_lat BETWEEN ${y0} AND ${y1}`;
    const where = { origin: o, destination: d, both: `${o} AND ${d}`, any: `((${o}) OR (${d}))` }[q.kind];
    return `${where} AND ${datasource}`;
  });
  const { rows } = await pool.query<Record<string, string>>(
    `SELECT to_char(date_trunc('week', t.occurred_at), 'YYYY-MM-DD') AS week,
            ${predicates.map((where, i) => `count(*) FILTER (WHERE ${where}) AS q${i}`).join(',\n            ')}
       FROM silver.trips t
       JOIN silver.regions r ON r.region_id = t.region_id
       JOIN silver.datasources d ON d.datasource_id = t.datasource_id
      GROUP BY 1`,
    values,
  );
  return queries.map((_, i) => {
    const counts = new Map<string, number>();
    for (const r of rows) if (Number(r[`q${i}`]) > 0) counts.set(r.week, Number(r[`q${i}`]));
    return counts;
  });
}

/** Checks each answer against the brute-force count; throws on the first difference. */
async function checkAll(pool: pg.Pool, answered: readonly { q: BenchQuery; answer: WeeklyAnswer }[]): Promise<void> {
  const brute = await bruteForce(
    pool,
    answered.map((a) => a.q),
  );
  answered.forEach(({ q, answer }, i) => check(q, answer, brute[i]));
}

function check(q: BenchQuery, answer: WeeklyAnswer, brute: Map<string, number>): void {
  const weeks = new Set(answer.series.map((w) => w.weekStart));
  for (const w of answer.series) {
    if (w.trips !== (brute.get(w.weekStart) ?? 0)) {
      throw new Error(
        `query ${JSON.stringify(q.params)}: week ${w.weekStart} answered ${w.trips}, brute force ${brute.get(w.weekStart) ?? 0}`,
      );
    }
  }
  const expected = [...brute].filter(([week]) => weeks.has(week)).reduce((n, [, c]) => n + c, 0);
  if (answer.totalTrips !== expected)
    throw new Error(`query ${JSON.stringify(q.params)}: total ${answer.totalTrips}, brute force ${expected}`);
}

/** One weekly-average query's answer; anything but 200 throws with the query and the body. */
async function askWeekly(queryApiUrl: string, q: BenchQuery): Promise<WeeklyAnswer> {
  const res = await fetch(`${queryApiUrl}/api/v1/trips/weekly-average?${new URLSearchParams(q.params).toString()}`);
  if (res.status !== 200)
    throw new Error(`query ${JSON.stringify(q.params)} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as WeeklyAnswer;
}

export const percentile = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;

export interface QueryBenchDetail {
  p50: number;
  p95: number;
  checked: number;
  /** Answers checked against brute force per kind (region and each match mode); at least `minChecks` each. */
  checkedByKind: Record<string, number>;
  /** Every timed query: its kind, box width (0 for regions) and latency in ms, in the order run. */
  samples: { kind: string; size: number; ms: number }[];
  /** Latency percentiles per kind of query (region, or the bbox match mode) and per box size. */
  byKind: Record<string, { n: number; p50: number; p95: number; max: number }>;
  /** The slowest 5 % of the queries (those that set p95), their parameters and latency. */
  slowest: { params: Record<string, string>; ms: number }[];
}

/**
 * Runs `n` queries one after another (after a short warm-up), measures each HTTP round trip in ms, and
 * checks answers against a brute-force count; throws on any difference. Of each kind (region, and each
 * bbox match mode) about every (count / minChecks)-th query is checked, so each kind gets at least
 * `minChecks` checks when it has that many queries; a kind with fewer gets more, untimed, queries
 * (drawn with another seed) until it has its `minChecks`. `regionNames` (silver.regions) lets region
 * queries pick names the data holds (benchQueries).
 */
export async function runQueryBenchDetailed(
  queryApiUrl: string,
  pool: pg.Pool,
  n: number,
  minChecks = 5,
  regionNames?: readonly string[],
): Promise<QueryBenchDetail> {
  const queries = benchQueries(n, 1, regionNames);
  const ask = (q: BenchQuery) => askWeekly(queryApiUrl, q);
  for (const q of benchQueries(10, 99, regionNames)) await ask(q);
  const kinds: BenchQuery['kind'][] = ['region', ...MATCHES];
  const total = new Map(kinds.map((k) => [k, queries.filter((q) => q.kind === k).length]));
  const step = new Map(kinds.map((k) => [k, Math.max(1, Math.floor(total.get(k)! / minChecks))]));
  const seen = new Map(kinds.map((k) => [k, 0]));
  const checkedByKind: Record<string, number> = Object.fromEntries(kinds.map((k) => [k, 0]));
  const timings: { kind: string; ms: number }[] = [];
  const each: { params: Record<string, string>; ms: number }[] = [];
  const samples: QueryBenchDetail['samples'] = [];
  const toCheck: { q: BenchQuery; answer: WeeklyAnswer }[] = [];
  for (const q of queries) {
    const t = performance.now();
    const answer = await ask(q);
    const ms = performance.now() - t;
    const size = q.kind === 'region' ? '' : q.size < 0.01 ? ' <0.01°' : q.size < 0.1 ? ' 0.01–0.1°' : ' ≥0.1°';
    timings.push({ kind: q.kind, ms });
    if (size) timings.push({ kind: `${q.kind}${size}`, ms });
    each.push({ params: q.params, ms });
    samples.push({ kind: q.kind, size: q.size, ms });
    const i = seen.get(q.kind)!;
    seen.set(q.kind, i + 1);
    if (i % step.get(q.kind)! === 0) {
      toCheck.push({ q, answer });
      checkedByKind[q.kind]++;
    }
  }
  // Kinds with fewer than minChecks queries (small n): more queries of that kind, checked, not timed.
  for (let seed = 2; kinds.some((k) => checkedByKind[k] < minChecks); seed++) {
    if (seed > 50) throw new Error(`could not draw ${minChecks} queries of every kind`);
    for (const q of benchQueries(Math.max(n, 40), seed, regionNames)) {
      if (checkedByKind[q.kind] >= minChecks) continue;
      toCheck.push({ q, answer: await ask(q) });
      checkedByKind[q.kind]++;
    }
  }
  await checkAll(pool, toCheck);
  const checked = Object.values(checkedByKind).reduce((a, b) => a + b, 0);
  const all = each.map((q) => q.ms).sort((a, b) => a - b);
  const byKind: QueryBenchDetail['byKind'] = {};
  for (const kind of [...new Set(timings.map((t) => t.kind))].sort()) {
    const ms = timings
      .filter((t) => t.kind === kind)
      .map((t) => t.ms)
      .sort((a, b) => a - b);
    byKind[kind] = { n: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms.at(-1)! };
  }
  const slowest = each.sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(each.length / 20));
  return { p50: percentile(all, 50), p95: percentile(all, 95), checked, checkedByKind, byKind, slowest, samples };
}

/** Latency of `n` random weekly-average queries (ms, p50 / p95) and how many answers were checked exact. */
export async function runQueryBench(
  queryApiUrl: string,
  pool: pg.Pool,
  n: number,
): Promise<{ p50: number; p95: number; checked: number }> {
  const { p50, p95, checked } = await runQueryBenchDetailed(queryApiUrl, pool, n);
  return { p50, p95, checked };
}

/** One box, `repeat` times in each match mode after one warm-up each: median, min and max; answers checked. */
async function timeOneBox(url: string, pool: pg.Pool, bbox: string, repeat: number, on: string): Promise<void> {
  const [minLon, , maxLon] = bbox.split(',').map(Number);
  const toCheck: { q: BenchQuery; answer: WeeklyAnswer }[] = [];
  for (const match of ['origin', 'destination', 'both', 'any'] as const) {
    const q: BenchQuery = { kind: match, params: { bbox, match }, size: maxLon - minLon };
    const ask = () => askWeekly(url, q);
    toCheck.push({ q, answer: await ask() });
    const ms: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const t = performance.now();
      await ask();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const median = (ms[(ms.length - 1) >> 1] + ms[ms.length >> 1]) / 2;
    process.stdout.write(
      `[bench] box ${bbox} on ${on}, ${match.padEnd(11)} median ${median.toFixed(1)} ms, min ${ms[0].toFixed(1)}, max ${ms.at(-1)!.toFixed(1)} (${repeat} runs)\n`,
    );
  }
  await checkAll(pool, toCheck);
  process.stdout.write(`[bench] the four answers equal a brute-force count over silver.trips\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      database: { type: 'string', default: 'trips_bench' },
      n: { type: 'string', default: '300' },
      port: { type: 'string', default: '3911' },
      bbox: { type: 'string' },
      repeat: { type: 'string', default: '10' },
    },
  });
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips');
  base.pathname = `/${values.database}`;
  const pool = new pg.Pool({ connectionString: base.toString(), max: 2 });
  const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps/query-api/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: base.toString(),
      QUERY_API_PORT: values.port,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${values.port}`;
  try {
    for (let i = 0; ; i++) {
      // Any answer will do: the service is up (its /health checks PostgreSQL, all the queries need).
      if (
        await fetch(`${url}/health`).then(
          () => true,
          () => false,
        )
      )
        break;
      if (i > 300) throw new Error('query-api does not answer');
      await new Promise((r) => setTimeout(r, 200));
    }
    const trips = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM silver.trips')).rows[0].n;
    if (values.bbox !== undefined) {
      await timeOneBox(url, pool, values.bbox, Number(values.repeat), `${values.database} (${trips} trips)`);
    } else {
      const names = (await pool.query<{ name: string }>('SELECT name FROM silver.regions ORDER BY name')).rows;
      const result = await runQueryBenchDetailed(
        url,
        pool,
        Number(values.n),
        5,
        names.map((r) => r.name),
      );
      const f = (ms: number) => ms.toFixed(1);
      process.stdout.write(
        `[bench] queries on ${values.database} (${trips} trips): ${values.n} weekly-average queries, p50 ${f(result.p50)} ms, p95 ${f(result.p95)} ms, ${result.checked} answers checked exact\n`,
      );
      process.stdout.write(
        `[bench]   brute-force checks: ${Object.entries(result.checkedByKind)
          .map(([k, c]) => `${k} ${c}`)
          .join(', ')}\n`,
      );
      for (const [kind, s] of Object.entries(result.byKind))
        process.stdout.write(
          `[bench]   ${kind.padEnd(24)} n=${String(s.n).padStart(4)}  p50 ${f(s.p50).padStart(7)}  p95 ${f(s.p95).padStart(7)}  max ${f(s.max).padStart(7)} ms\n`,
        );
      for (const q of result.slowest)
        process.stdout.write(`[bench]   slow: ${f(q.ms)} ms ${new URLSearchParams(q.params).toString()}\n`);
    }
  } finally {
    child.kill('SIGTERM');
    await pool.end();
  }
}
