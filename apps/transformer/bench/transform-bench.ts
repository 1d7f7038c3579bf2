/**
 * Measures the transformer's statements on this machine: synthetic but realistic bronze rows (8
 * cities, trips clustered around them, datetimes over one year, 5 datasources), transformed chunk by
 * chunk as the service does (dictionaries + chunk.sql + commit), by 1 or more sessions in parallel,
 * then folded into gold (gold.sql) in batches of GOLD_BATCH_ROWS. Prints rows/s of the statements and
 * of whole transactions, the PostgreSQL backend CPU per row when /proc is readable, and a per-step
 * breakdown from EXPLAIN ANALYZE of one more chunk. Uses a database of its own and drops it
 * (KEEP_BENCH_DB=1 keeps it).
 *
 *   npx tsc -p tsconfig.build.json && node dist/apps/transformer/bench/transform-bench.js [rows] [chunkRows] [sessions]
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { loadConfig } from '#config';
import { dropDatabase, ensureDatabase, runMigrations, sqlPath } from '#db';
import { processCpuMs } from '../../../scripts/bench/reference.js';
import { TransformRepository } from '../src/transform/transform.repository.js';

const [rows = 300_000, chunkRows = 10_000, sessions = 1] = process.argv.slice(2).map(Number);
const env = loadConfig();
const base = new URL(env.DATABASE_URL);
base.pathname = `/trips_bench_transformer_test_${Date.now().toString(36)}`;
const databaseUrl = base.toString();
const grid = { cellDegrees: env.GRID_CELL_DEGREES, bucketMinutes: env.TIME_BUCKET_MINUTES };
const repo = new TransformRepository();

const GENERATE = `
  WITH cities(i, name, lon, lat) AS (VALUES
    (0, 'Prague', 14.43, 50.08), (1, 'Turin', 7.68, 45.07), (2, 'Hamburg', 9.99, 53.55), (3, 'Barcelona', 2.17, 41.39),
    (4, 'Oslo', 10.75, 59.91), (5, 'Lisbon', -9.14, 38.72), (6, 'Montreal', -73.57, 45.50), (7, 'Santiago', -70.65, -33.45))
  INSERT INTO bronze.trips (ingestion_no, line_no, region, origin_coord, destination_coord, datetime, datasource)
  SELECT $1, g + 1, c.name,
    format('POINT (%s %s)', c.lon + (random() + random() + random() - 1.5) * 0.08, c.lat + (random() + random() + random() - 1.5) * 0.05),
    format('POINT (%s %s)', c.lon + (random() + random() + random() - 1.5) * 0.08, c.lat + (random() + random() + random() - 1.5) * 0.05),
    to_char(timestamp '2018-01-01' + random() * interval '365 days', 'YYYY-MM-DD HH24:MI:SS'),
    (ARRAY['funny_car', 'baba_car', 'cheap_mobile', 'bad_diesel_vehicles', 'pt_search_app'])[1 + g % 5]
  FROM generate_series(1, $2) g JOIN cities c ON c.i = hashint4(g) & 7
  ORDER BY g`;

async function session(client: pg.Client, ingestionNo: number, next: () => number | undefined) {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const cpu0 = processCpuMs(pid);
  let statementMs = 0;
  for (let first = next(); first !== undefined; first = next()) {
    const last = first + chunkRows - 1;
    await client.query('BEGIN');
    await client.query('SET LOCAL jit = off');
    await repo.addDictionaryEntries(client, ingestionNo, first, last);
    const t0 = performance.now();
    await repo.transformChunk(client, ingestionNo, first, last, grid);
    statementMs += performance.now() - t0;
    await client.query('COMMIT');
  }
  return { statementMs, cpuMs: processCpuMs(pid) - cpu0 };
}

await ensureDatabase(databaseUrl);
try {
  await runMigrations(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: sessions + 1 });
  const { rows: ing } = await pool.query<{ ingestion_no: number }>(
    `INSERT INTO meta.ingestions (ingestion_id, columns, state) VALUES (gen_random_uuid(), '{region,origin_coord,destination_coord,datetime,datasource}', 'processing')
     RETURNING ingestion_no`,
  );
  const ingestionNo = ing[0].ingestion_no;
  const tg = performance.now();
  await pool.query(GENERATE, [ingestionNo, rows + chunkRows]);
  await pool.query('VACUUM ANALYZE bronze.trips');
  process.stdout.write(
    `generated ${rows + chunkRows} bronze rows in ${((performance.now() - tg) / 1000).toFixed(1)} s\n`,
  );

  let cursor = 1;
  const next = () => {
    if (cursor > rows) return undefined;
    const first = cursor;
    cursor += chunkRows;
    return first;
  };
  const clients = Array.from({ length: sessions }, () => new pg.Client(databaseUrl));
  await Promise.all(clients.map((c) => c.connect()));
  const t0 = performance.now();
  const results = await Promise.all(clients.map((c) => session(c, ingestionNo, next)));
  const wallMs = performance.now() - t0;
  const stmtMs = results.reduce((s, r) => s + r.statementMs, 0);
  const cpuMs = results.reduce((s, r) => s + r.cpuMs, 0);
  process.stdout.write(
    `${rows} rows in ${rows / chunkRows} chunks of ${chunkRows}, ${sessions} session(s), grid ${grid.cellDegrees}° / ${grid.bucketMinutes} min:\n` +
      `  transactions (dictionaries + chunk.sql + commit), all sessions: ${Math.round(rows / (wallMs / 1000))} rows/s\n` +
      `  chunk statement alone, per session:                         ${Math.round(rows / sessions / (stmtMs / sessions / 1000))} rows/s\n` +
      (Number.isNaN(cpuMs)
        ? ''
        : `  PostgreSQL backend CPU: ${((cpuMs * 1000) / rows).toFixed(1)} µs/row (${Math.round(rows / (cpuMs / 1000))} rows per CPU-second)\n`),
  );

  // Gold, folded in batches as the service does once GOLD_BATCH_ROWS rows are pending.
  const batch = env.GOLD_BATCH_ROWS;
  const goldPid = (await clients[0].query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const goldCpu0 = processCpuMs(goldPid);
  const tgold = performance.now();
  for (let first = 1; first <= rows; first += batch) {
    await clients[0].query('BEGIN');
    await clients[0].query('SET LOCAL jit = off');
    await repo.foldLines(clients[0], ingestionNo, [{ firstLine: first, lastLine: Math.min(rows, first + batch - 1) }]);
    await clients[0].query('COMMIT');
  }
  const goldMs = performance.now() - tgold;
  const goldCpuMs = processCpuMs(goldPid) - goldCpu0;
  process.stdout.write(
    `  gold folds of ${batch} rows (gold.sql + commit), one session: ${Math.round(rows / (goldMs / 1000))} rows/s` +
      (Number.isNaN(goldCpuMs) ? '\n' : `, ${((goldCpuMs * 1000) / rows).toFixed(1)} µs/row of PostgreSQL CPU\n`) +
      `  silver + gold, one after the other: ${Math.round(rows / ((wallMs + goldMs) / 1000))} rows/s\n`,
  );
  await Promise.all(clients.map((c) => c.end()));

  // Where the time goes, on one more chunk (EXPLAIN ANALYZE adds its own overhead to each step).
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL jit = off');
    const first = rows + 1;
    await repo.addDictionaryEntries(client, ingestionNo, first, first + chunkRows - 1);
    const chunkSql = readFileSync(sqlPath('transform', 'chunk.sql'), 'utf8');
    const { rows: plan } = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${chunkSql}`, [
      ingestionNo,
      first,
      first + chunkRows - 1,
      grid.cellDegrees,
      grid.bucketMinutes,
    ]);
    type Node = { 'Subplan Name'?: string; 'Actual Total Time': number; Plans?: Node[]; 'Node Type': string };
    const top = (
      plan[0]['QUERY PLAN'] as {
        Plan: Node;
        'Execution Time': number;
        Triggers?: { 'Trigger Name': string; Time: number }[];
      }[]
    )[0];
    process.stdout.write(`  EXPLAIN ANALYZE of one chunk: ${top['Execution Time'].toFixed(0)} ms\n`);
    for (const p of top.Plan.Plans ?? []) {
      if (p['Subplan Name']?.startsWith('CTE')) {
        // A CTE's time includes the CTEs it reads first (the parse is paid by whichever scans checked first).
        process.stdout.write(`    ${p['Subplan Name'].padEnd(26)} ${p['Actual Total Time'].toFixed(1)} ms\n`);
      }
    }
    for (const t of top.Triggers ?? [])
      process.stdout.write(`    trigger ${t['Trigger Name'].padEnd(18)} ${t.Time.toFixed(1)} ms\n`);
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  await pool.end();
} finally {
  if (process.env.KEEP_BENCH_DB !== '1') await dropDatabase(databaseUrl);
  else process.stdout.write(`kept ${databaseUrl}\n`);
}
