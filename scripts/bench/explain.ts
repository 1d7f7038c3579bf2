// Where the slowest box counts spend their time, part by part. Replays the query bench's boxes
// (benchQueries: same seed, same queries as `npm run bench`) straight against PostgreSQL with the
// query-api's own planning (with its occupied-edge look-up) and rendering, times each whole
// statement on one connection, then runs every part of the slowest ones alone under EXPLAIN
// (ANALYZE, BUFFERS): its execution and planning time, the index entries it read, the index descents
// it made and the buffers it found cached or had to read. Usage, on a database a bench kept (`--keep`):
//   node dist/scripts/bench/explain.js --database trips_bench [--n 300] [--top 10]
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { MatchMode } from '../../apps/query-api/src/area/area.js';
import { planCount, type CountPart } from '../../apps/query-api/src/area/count-plan.js';
import { boxCells, cellCount, type Bbox } from '../../apps/query-api/src/area/grid.js';
import { countScope, renderCount, subqueries, type CountScope } from '../../apps/query-api/src/trips/count-sql.js';
import { parseDate, resolvePeriod } from '../../apps/query-api/src/trips/period.js';
import { dataExtent, withOccupiedEdge } from '../../apps/query-api/src/trips/weekly-average.repository.js';
import { benchQueries, type BenchQuery } from './queries.js';

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

/**
 * What a part's plan did: index entries returned, index descents (a scan with `= ANY (list)` descends
 * once per element of the list, in each partition: `perScan`), and buffers found in shared buffers or
 * read (from the OS cache or the disk).
 */
function indexWork(plan: PlanNode, perScan: number): { entries: number; descents: number; hit: number; read: number } {
  let entries = 0;
  let descents = 0;
  const walk = (n: PlanNode) => {
    if (n['Node Type'].startsWith('Index')) {
      entries += n['Actual Rows'] * n['Actual Loops'];
      descents += n['Actual Loops'] * perScan;
    }
    for (const child of n.Plans ?? []) walk(child);
  };
  walk(plan);
  return { entries, descents, hit: plan['Shared Hit Blocks'], read: plan['Shared Read Blocks'] };
}

/** Descents per index scan of a part: one per element of its `= ANY` list, if it has one. */
function perScan(part: CountPart): number {
  switch (part.kind) {
    case 'endCells':
      return part.cells.length;
    case 'pairsFrom':
      return part.origins.length;
    default: // ranges and single trips: one index scan (LATERAL) per range or per (cell, sub-row)
      return 1;
  }
}

function describe(unit: CountPart[]): string {
  const part = unit[0];
  const sign = part.sign < 0 ? '−' : '+';
  switch (part.kind) {
    case 'endRanges':
      return `${sign} gold ${part.end} cells, ${part.ranges.length} key ranges`;
    case 'endCells':
      return `${sign} gold ${part.end} cells, ${part.cells.length} cells`;
    case 'pairsToInner':
      return `${sign} gold pairs to inner cells, ${part.ranges.length} ranges`;
    case 'pairsFrom':
      return `${sign} gold pairs, ${part.origins.length} origin cells × ${part.to.length} ranges`;
    case 'trips': {
      const scans = unit.flatMap((p) => (p.kind === 'trips' ? [p.scan] : []));
      const rows = scans.reduce((n, scan) => n + scan.cells.length * scan.subs.length, 0);
      return `${sign} silver trips by ${part.end}, ${scans.length} scans, ${rows} (cell, sub-row) rows, ${part.keep}, other end ${part.other}`;
    }
  }
}

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'trips_bench' },
    n: { type: 'string', default: '300' },
    top: { type: 'string', default: '10' },
  },
});
const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips');
base.pathname = `/${values.database}`;
const client = new pg.Client({ connectionString: base.toString() });
await client.connect();
try {
  // The query-api's session settings (apps/query-api/src/db-session.ts) and its per-count setting.
  await client.query(`SET jit = off; SET max_parallel_workers_per_gather = 0; SET enable_sort = off`);
  const cellDegrees = Number(
    (await client.query<{ value: string }>(`SELECT value FROM meta.settings WHERE key = 'grid_cell_degrees'`)).rows[0]
      .value,
  );
  const weeks = (
    await client.query<{ first: string | null; last: string | null }>(
      `SELECT to_char(min(week_start), 'YYYY-MM-DD') AS first, to_char(max(week_start), 'YYYY-MM-DD') AS last
         FROM gold.weekly_region_counts`,
    )
  ).rows[0];
  const dataWeeks =
    weeks.first && weeks.last ? { firstWeek: parseDate(weeks.first)!, lastWeek: parseDate(weeks.last)! } : undefined;
  const datasources = new Map(
    (
      await client.query<{ name: string; id: number }>(`SELECT name, datasource_id AS id FROM silver.datasources`)
    ).rows.map((r) => [r.name, r.id]),
  );

  const extent = await dataExtent(client);
  const boxes = benchQueries(Number(values.n)).filter(
    (q): q is BenchQuery & { kind: MatchMode } => q.kind !== 'region',
  );
  const counts = [];
  for (const q of boxes) {
    const [minLon, minLat, maxLon, maxLat] = q.params.bbox.split(',').map(Number);
    const box: Bbox = { minLon, minLat, maxLon, maxLat };
    const cells = await withOccupiedEdge(client, boxCells(box, cellDegrees, extent));
    const period = resolvePeriod(q.params.from, q.params.to, dataWeeks)!;
    const ds = q.params.datasource;
    const scope: CountScope = countScope(period, dataWeeks, ds === undefined ? undefined : (datasources.get(ds) ?? -1));
    counts.push({ q, cells, plan: planCount(box, cells, cellDegrees, q.kind), scope, ms: 0 });
  }
  for (const c of counts) {
    const rendered = renderCount(c.plan, c.scope);
    if (!rendered) continue;
    const t = performance.now();
    await client.query(rendered.sql, rendered.values);
    c.ms = performance.now() - t;
  }
  const ms = counts.map((c) => c.ms).sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))];
  process.stdout.write(
    `[explain] ${counts.length} box counts on one connection (no split): p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms\n`,
  );

  const slowest = [...counts].sort((a, b) => b.ms - a.ms).slice(0, Number(values.top));
  const totals = new Map<string, { ms: number; planMs: number; entries: number; descents: number; read: number }>();
  for (const c of slowest) {
    process.stdout.write(
      `\n[explain] ${c.ms.toFixed(1)} ms  ${c.q.kind} ${new URLSearchParams(c.q.params).toString()} (edge cells ${cellCount(c.cells.edge)}, inner ${cellCount(c.cells.inner)})\n`,
    );
    for (const unit of subqueries(c.plan)) {
      const part = unit[0];
      const rendered = renderCount({ ...c.plan, parts: unit }, c.scope)!;
      const { rows } = await client.query<{
        'QUERY PLAN': { Plan: PlanNode; 'Planning Time': number; 'Execution Time': number }[];
      }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${rendered.sql}`, rendered.values);
      const explained = rows[0]['QUERY PLAN'][0];
      const partMs = explained['Execution Time'];
      const planMs = explained['Planning Time'];
      const work = indexWork(explained.Plan, perScan(part));
      const kind =
        part.kind === 'trips'
          ? 'silver trips'
          : part.kind === 'pairsFrom' || part.kind === 'pairsToInner'
            ? 'gold pairs'
            : 'gold cells';
      const sum = totals.get(kind) ?? { ms: 0, planMs: 0, entries: 0, descents: 0, read: 0 };
      totals.set(kind, {
        ms: sum.ms + partMs,
        planMs: sum.planMs + planMs,
        entries: sum.entries + work.entries,
        descents: sum.descents + work.descents,
        read: sum.read + work.read,
      });
      process.stdout.write(
        `[explain]   ${partMs.toFixed(1).padStart(8)} ms (planning ${planMs.toFixed(1).padStart(5)})  ${String(work.entries).padStart(9)} entries  ${String(work.descents).padStart(8)} descents  ${String(work.hit).padStart(7)} hit  ${String(work.read).padStart(6)} read  ${describe(unit)}\n`,
      );
    }
  }
  process.stdout.write(`\n[explain] the ${slowest.length} slowest, by kind of part (explained one by one):\n`);
  for (const [kind, t] of totals)
    process.stdout.write(
      `[explain]   ${kind.padEnd(12)} ${t.ms.toFixed(0).padStart(7)} ms (planning ${t.planMs.toFixed(0).padStart(5)})  ${String(t.entries).padStart(10)} entries  ${String(t.descents).padStart(9)} descents  ${String(t.read).padStart(7)} buffers read\n`,
    );
} finally {
  await client.end();
}
