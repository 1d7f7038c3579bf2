import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
export type WeeksMode = 'period' | 'active';

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

/** The brute-force count of a region per ISO week, over every trip in silver.trips (not gold). */
export async function bruteForceRegionWeekly(
  pool: pg.Pool,
  region: string,
  datasource?: string,
): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ week: string; n: string }>(
    `SELECT to_char(date_trunc('week', t.occurred_at), 'YYYY-MM-DD') AS week, count(*) AS n
       FROM silver.trips t JOIN silver.regions r USING (region_id) JOIN silver.datasources s USING (datasource_id)
      WHERE lower(r.name) = lower(trim($1)) AND ($2::text IS NULL OR s.name = $2)
      GROUP BY 1`,
    [region, datasource ?? null],
  );
  return new Map(rows.map((r) => [r.week, Number(r.n)]));
}

/**
 * What a weekly-average answer's averaging fields should be when it divides by what `weeks` asked for:
 * `period` (also when not given) every week of its series, `active` the `activeWeeks` weeks a brute
 * force found trips in (none: 0). Returns the answer's fields beside the expected ones, for toEqual
 * (the API divides the same integers, so the quotients are identical).
 */
export function averageFields(
  body: {
    weeksMode: string;
    weeks: number;
    activeWeeks: number;
    totalTrips: number;
    weeklyAverage: number;
    series: unknown[];
  },
  weeks: WeeksMode | undefined,
  activeWeeks: number,
): { actual: Record<string, unknown>; expected: Record<string, unknown> } {
  const weeksMode = weeks ?? 'period';
  const divisor = weeksMode === 'active' ? activeWeeks : body.series.length;
  return {
    actual: {
      weeksMode: body.weeksMode,
      weeks: body.weeks,
      activeWeeks: body.activeWeeks,
      weeklyAverage: body.weeklyAverage,
    },
    expected: {
      weeksMode,
      weeks: body.series.length,
      activeWeeks,
      weeklyAverage: divisor === 0 ? 0 : body.totalTrips / divisor,
    },
  };
}

export interface CsvTrip {
  region: string;
  datasource: string;
  origin: [number, number];
  destination: [number, number];
  /** Monday (YYYY-MM-DD) of the trip's ISO week. */
  week: string;
}

/** Every row of a (valid) trips CSV, read straight from the file: the reference for brute-force counts. */
export function tripsOfCsv(file: string): CsvTrip[] {
  const point = (wkt: string): [number, number] => {
    const m = /^POINT \(([^ ]+) ([^ )]+)\)$/.exec(wkt.trim());
    if (!m) throw new Error(`not a WKT point: ${wkt}`);
    return [Number(m[1]), Number(m[2])];
  };
  const rows = parse<Record<string, string>>(readFileSync(file), { columns: true });
  return rows.map((r) => {
    const day = new Date(`${r.datetime.trim().slice(0, 10)}T00:00:00Z`);
    const monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000);
    return {
      region: r.region,
      datasource: r.datasource,
      origin: point(r.origin_coord),
      destination: point(r.destination_coord),
      week: monday.toISOString().slice(0, 10),
    };
  });
}

/** Brute force over a CSV's trips: trips per week (weeks with trips only) for a region or a box. */
export function bruteForceCsv(
  trips: CsvTrip[],
  area: { region: string } | { bbox: [number, number, number, number]; match: Match },
  datasource?: string,
): Map<string, number> {
  const inBox = ([lon, lat]: [number, number], b: [number, number, number, number]) =>
    lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
  const counts = new Map<string, number>();
  for (const t of trips) {
    if (datasource !== undefined && t.datasource !== datasource) continue;
    let inside: boolean;
    if ('region' in area) {
      inside = t.region.trim().toLowerCase() === area.region.trim().toLowerCase();
    } else {
      const o = inBox(t.origin, area.bbox);
      const d = inBox(t.destination, area.bbox);
      inside = { origin: o, destination: d, both: o && d, any: o || d }[area.match];
    }
    if (inside) counts.set(t.week, (counts.get(t.week) ?? 0) + 1);
  }
  return counts;
}
