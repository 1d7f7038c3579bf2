import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import { repoRoot } from '#db';

const run = promisify(execFile);

export interface Json {
  status: number;
  // Response shapes are asserted field by field in the specs.
  body: any;
}

/** GET a JSON resource of the API. */
export async function getJson(base: string, path: string): Promise<Json> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

/** Runs a file of sql/queries through the real psql with `-v` variables; returns its rows (CSV output parsed). */
export async function psqlFile(
  databaseUrl: string,
  file: string,
  vars: Record<string, string> = {},
): Promise<Record<string, string>[]> {
  const args = ['-X', '-q', '--csv', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  args.push('-f', join(repoRoot(), 'sql', 'queries', file), databaseUrl);
  const { stdout } = await run('psql', args, { maxBuffer: 64 * 1024 * 1024 });
  return parse<Record<string, string>>(stdout, { columns: true });
}

export type Match = 'origin' | 'destination' | 'both' | 'any';

/**
 * The brute-force reference: every trip in silver.trips tested with the inclusive predicate, counted
 * per ISO week. Independent of cells and gold.
 */
export async function bruteForceWeekly(
  pool: pg.Pool,
  box: [number, number, number, number],
  match: Match,
  opts: { firstWeek?: string; lastWeek?: string; datasource?: string } = {},
): Promise<Map<string, number>> {
  const o = 't.origin_lon BETWEEN $1 AND $3 AND t.origin_lat BETWEEN $2 AND $4';
  const d = 't.destination_lon BETWEEN $1 AND $3 AND t.destination_lat BETWEEN $2 AND $4';
  const predicate = { origin: o, destination: d, both: `(${o}) AND (${d})`, any: `((${o}) OR (${d}))` }[match];
  const { rows } = await pool.query<{ week: string; n: string }>(
    `SELECT to_char(date_trunc('week', t.occurred_at), 'YYYY-MM-DD') AS week, count(*) AS n
       FROM silver.trips t JOIN silver.datasources s ON s.datasource_id = t.datasource_id
      WHERE ${predicate}
        AND ($5::date IS NULL OR t.occurred_at >= $5::date)
        AND ($6::date IS NULL OR t.occurred_at < $6::date + 7)
        AND ($7::text IS NULL OR s.name = $7)
      GROUP BY 1`,
    [...box, opts.firstWeek ?? null, opts.lastWeek ?? null, opts.datasource ?? null],
  );
  return new Map(rows.map((r) => [r.week, Number(r.n)]));
}

/** A series as a map of its non-zero weeks. */
export const nonZero = (series: { weekStart: string; trips: number }[]): Map<string, number> =>
  new Map(series.filter((w) => w.trips !== 0).map((w) => [w.weekStart, w.trips]));
