// What the benchmarks share: the cached synthetic file, the bare `psql \copy` every throughput
// figure is compared with, and the CPU a local process has used.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { repoRoot } from '#db';
import { generateFile } from './generate.js';

/** The file of N synthetic trips under .cache/bench, generated on first use (`announce` says so first). */
export async function benchFile(rows: number, announce: (msg: string) => void = () => undefined): Promise<string> {
  const dir = join(repoRoot(), '.cache', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `trips-${rows}.csv`);
  if (!existsSync(file)) {
    announce(`generating ${rows} rows → ${file}`);
    await generateFile(file, rows);
  }
  return file;
}

/**
 * Times a bare `psql \copy` of the file into an empty logged 5-text-column table of the database
 * (checkpointed before and after, the table dropped after) and checks it loaded `rows` rows; in ms.
 */
export async function bareCopyMs(pool: pg.Pool, databaseUrl: string, file: string, rows: number): Promise<number> {
  await pool.query(
    'CREATE TABLE public.bench_copy (region text, origin_coord text, destination_coord text, datetime text, datasource text)',
  );
  await pool.query('CHECKPOINT');
  const t = performance.now();
  execFileSync(
    'psql',
    [databaseUrl, '-q', '-c', `\\copy public.bench_copy FROM '${file}' WITH (FORMAT csv, HEADER true)`],
    { stdio: 'inherit' },
  );
  const ms = performance.now() - t;
  const copied = Number((await pool.query<{ count: string }>('SELECT count(*) FROM public.bench_copy')).rows[0].count);
  if (copied !== rows) throw new Error(`\\copy loaded ${copied} rows, expected ${rows}`);
  await pool.query('DROP TABLE public.bench_copy');
  await pool.query('CHECKPOINT');
  return ms;
}

/** user+system CPU of a local process in ms (clock ticks of 10 ms), or NaN when /proc cannot tell (PostgreSQL elsewhere). */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
