// What the benchmarks share: the cached synthetic file, the bare `psql \copy` every throughput
// figure is compared with, and the CPU a local process has used.
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { repoRoot } from '#db';
import { columnsOf, generateFile, type Shape } from './generate.js';

/**
 * The file of N synthetic trips of a shape under .cache/bench (trips-<shape>-<N>.csv), generated on
 * first use (`announce` says so first). A plain file cached under the earlier name trips-<N>.csv
 * (byte-identical) is linked to the new name rather than generated again.
 */
export async function benchFile(
  rows: number,
  announce: (msg: string) => void = () => undefined,
  shape: Shape = 'plain',
): Promise<string> {
  const dir = join(repoRoot(), '.cache', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `trips-${shape}-${rows}.csv`);
  const legacy = join(dir, `trips-${rows}.csv`);
  if (!existsSync(file) && shape === 'plain' && existsSync(legacy)) linkSync(legacy, file);
  if (!existsSync(file)) {
    announce(`generating ${rows} rows (${shape}) → ${file}`);
    const partial = `${file}.partial-${process.pid}`;
    await generateFile(partial, rows, 42, shape);
    renameSync(partial, file);
  }
  return file;
}

/**
 * Times a bare `psql \copy` of the file into an empty logged table of text columns (one per column of
 * the file's shape) of the database (checkpointed before and after, the table dropped after) and
 * checks it loaded `rows` rows; in ms.
 */
export async function bareCopyMs(
  pool: pg.Pool,
  databaseUrl: string,
  file: string,
  rows: number,
  shape: Shape = 'plain',
): Promise<number> {
  await pool.query(
    `CREATE TABLE public.bench_copy (${columnsOf(shape)
      .map((c) => `${c} text`)
      .join(', ')})`,
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

/** Busy CPU time of the whole machine (all cores) in ms, from /proc/stat (USER_HZ = 100). */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) * 10;
}
