// The floor under the pipeline's throughput: the CPU that the work every design must do costs on
// this machine, measured piece by piece with everything else taken away, against the bare
// `psql \copy` of the same file (the reference of `npm run bench`).
//
//   kafka   the raw chunks (cut as upload-gateway cuts them) produced to a topic and consumed back
//           with kafkajs, no processing: client CPU + broker CPU
//   bronze  COPY of the chunks with (ingestion_no, line_no) into bronze.trips: backend CPU
//   silver  COPY of the already typed rows (parsed here, untimed) into silver.trips with the indexes
//           the exact area queries read: backend CPU
//   gold    plain INSERT … SELECT … GROUP BY from silver into the empty gold tables (no upserts, one
//           statement per table: the cheapest way to build them): backend CPU
// then again with a schema stripped to what the ingestion issue alone names (silver without indexes,
// gold = trip groups only).
//
// Left out, so the sum stays a lower bound: HTTP and CSV scanning in the gateway, text parsing and
// validation, markers, events, WAL writer and checkpointer CPU, and any waiting. With 2 cores, no
// schedule can finish in less than (sum of CPU) / 2.
//
//   npm run build && node dist/scripts/bench/floor.js [--rows 1000000]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { loadConfig } from '#config';
import { RecordChunker, type Chunk } from '#csv';
import { ensureDatabase, repoRoot, runMigrations } from '#db';
import { createKafka, ensureTopics, topicSpecs } from '#kafka';
import { HEADER } from './generate.js';
import { bareCopyMs, benchFile, processCpuMs } from './reference.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, database: { type: 'string', default: 'trips_bench_floor' } },
});
const rows = Number(values.rows);
const root = repoRoot();
const say = (msg: string) => process.stdout.write(`[bench:floor] ${msg}\n`);
const s = (ms: number) => (ms / 1000).toFixed(2);

/** Wall and backend CPU of `work` run on one connection. */
async function onBackend(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<unknown>,
): Promise<{ wallMs: number; cpuMs: number }> {
  const client = await pool.connect();
  try {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const cpu0 = processCpuMs(pid);
    const t = performance.now();
    await work(client);
    return { wallMs: performance.now() - t, cpuMs: processCpuMs(pid) - cpu0 };
  } finally {
    client.release();
  }
}

const copy = (client: pg.PoolClient, sql: string, data: Buffer) =>
  pipeline(Readable.from([data]), client.query(copyStreams.from(sql)));

// 1. the file of `npm run bench` and its bare \copy
const file = await benchFile(rows);
const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips');
base.pathname = `/${values.database}`;
const databaseUrl = base.toString();
if (!values.database.includes('bench')) throw new Error('the bench database name must contain "bench"');
const admin = new pg.Client({ connectionString: databaseUrl.replace(/\/[^/]*$/, '/postgres') });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(values.database)} WITH (FORCE)`);
await ensureDatabase(databaseUrl);
await runMigrations(databaseUrl);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const bareMs = await bareCopyMs(pool, databaseUrl, file, rows);
say(`${rows} rows; bare psql \\copy ${s(bareMs)} s → 3× target = ${s(3 * bareMs)} s; ${cpus().length} cores`);

// 2. kafka: produce the raw chunks, consume them back
const body = readFileSync(file).subarray(HEADER.length);
const chunker = new RecordChunker(512 * 1024, 2);
const chunks: Chunk[] = [...chunker.push(body), ...chunker.end()];
execFileSync('bash', [join(root, 'scripts/kafka/start.sh')], { stdio: 'inherit' });
const brokerPid = Number(readFileSync(join(root, '.cache/kafka/kafka.pid'), 'utf8'));
const env = loadConfig({
  ...process.env,
  DATABASE_URL: databaseUrl,
  KAFKA_TOPIC_PREFIX: `bench-floor-${Date.now().toString(36)}.`,
  LOG_LEVEL: 'warn',
});
const kafka = createKafka(env, 'bench-floor');
await ensureTopics(kafka, env);
const rawTopic = topicSpecs(env)[0].topic;
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: `${rawTopic}.floor`, maxBytes: 8 << 20 });
await Promise.all([producer.connect(), consumer.connect()]);
await consumer.subscribe({ topic: rawTopic, fromBeginning: true });
let consumed = 0;
let allConsumed!: () => void;
const consumedAll = new Promise<void>((resolve) => (allConsumed = resolve));
await consumer.run({
  eachBatch: ({ batch }) => {
    consumed += batch.messages.length;
    if (consumed >= chunks.length) allConsumed();
    return Promise.resolve();
  },
});
const cpu0 = process.cpuUsage();
const broker0 = processCpuMs(brokerPid);
const t = performance.now();
for (let i = 0; i < chunks.length; i += 4) {
  // As the gateway sends them: one chunk per request (a batch of several would pass the 1 MB limit), a few in flight.
  await Promise.all(
    chunks
      .slice(i, i + 4)
      .map((c, k) => producer.send({ topic: rawTopic, acks: -1, messages: [{ key: String(i + k), value: c.data }] })),
  );
}
await consumedAll;
const kafkaWallMs = performance.now() - t;
const client = process.cpuUsage(cpu0);
const kafkaCpuMs = (client.user + client.system) / 1000 + processCpuMs(brokerPid) - broker0;
await Promise.all([producer.disconnect(), consumer.disconnect()]);
const kafkaAdmin = kafka.admin();
await kafkaAdmin.connect();
await kafkaAdmin.deleteTopics({ topics: topicSpecs(env).map((x) => x.topic) }).catch(() => undefined);
await kafkaAdmin.disconnect();
say(
  `kafka: ${chunks.length} chunks produced and consumed in ${s(kafkaWallMs)} s; CPU ${s(kafkaCpuMs)} s (kafkajs ${s((client.user + client.system) / 1000)} s, broker ${s(kafkaCpuMs - (client.user + client.system) / 1000)} s)`,
);

// 3. bronze: the chunks with their lineage, COPYed
const ingestionNo = (
  await pool.query<{ n: number }>(
    `INSERT INTO meta.ingestions (ingestion_id, state, columns) VALUES (gen_random_uuid(), 'processing', $1) RETURNING ingestion_no AS n`,
    [HEADER.trim().split(',')],
  )
).rows[0].n;
const bronzeRows = Buffer.from(
  chunks
    .flatMap((c) => {
      const lines = c.data.toString().split('\n');
      lines.pop();
      return lines.map((l, k) => `${ingestionNo},${c.firstLine + k},${l}\n`);
    })
    .join(''),
);
await pool.query('CHECKPOINT');
const bronze = await onBackend(pool, (c) =>
  copy(
    c,
    'COPY bronze.trips (ingestion_no, line_no, region, origin_coord, destination_coord, datetime, datasource) FROM STDIN WITH (FORMAT csv)',
    bronzeRows,
  ),
);
say(`bronze: COPY ${s(bronze.wallMs)} s; backend CPU ${s(bronze.cpuMs)} s`);

// 4. silver: typed rows, parsed here (untimed), COPYed with silver's indexes
const cell = env.GRID_CELL_DEGREES;
const regions = new Map<string, number>();
const datasources = new Map<string, number>();
const point = /POINT \(([-0-9.e]+) ([-0-9.e]+)\)/;
const cellOf = (lon: number, lat: number) =>
  (Math.floor(lat / cell) + 2097152) * 4194304 + (Math.floor(lon / cell) + 2097152);
const subOf = (lat: number) => Math.min(9, Math.max(0, Math.floor((lat / cell - Math.floor(lat / cell)) * 10)));
const silverLines: string[] = [];
let line = 2;
for (const text of body.toString().split('\n')) {
  if (!text) continue;
  const [region, o, d, datetime, ds] = text.split(','); // the generator writes no quoted fields
  const [, olon, olat] = point.exec(o)!.map(Number);
  const [, dlon, dlat] = point.exec(d)!.map(Number);
  if (!regions.has(region)) regions.set(region, regions.size + 1);
  if (!datasources.has(ds)) datasources.set(ds, datasources.size + 1);
  const [hh, mi] = datetime.slice(11).split(':').map(Number);
  silverLines.push(
    [
      ingestionNo,
      line++,
      regions.get(region),
      datasources.get(ds),
      olon,
      olat,
      dlon,
      dlat,
      datetime,
      cellOf(olon, olat),
      cellOf(dlon, dlat),
      Math.floor((hh * 60 + mi) / env.TIME_BUCKET_MINUTES),
      subOf(olat),
      subOf(dlat),
    ].join(','),
  );
}
for (const [name, id] of regions)
  await pool.query('INSERT INTO silver.regions (region_id, name, name_key) VALUES ($1, $2, lower($2))', [id, name]);
for (const [name, id] of datasources)
  await pool.query('INSERT INTO silver.datasources (datasource_id, name) VALUES ($1, $2)', [id, name]);
const silverData = Buffer.from(silverLines.join('\n') + '\n');
await pool.query('CHECKPOINT');
const copySilver = (c: pg.PoolClient) =>
  copy(
    c,
    `COPY silver.trips (ingestion_no, line_no, region_id, datasource_id, origin_lon, origin_lat, destination_lon, destination_lat,
                        occurred_at, origin_cell, destination_cell, tod_bucket, origin_sub, destination_sub) FROM STDIN WITH (FORMAT csv)`,
    silverData,
  );
const silver = await onBackend(pool, copySilver);
const { rows: indexes } = await pool.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'silver' AND tablename = 'trips'`,
);
say(
  `silver: COPY of typed rows into silver.trips (${indexes[0].n} indexes) ${s(silver.wallMs)} s; backend CPU ${s(silver.cpuMs)} s`,
);

// 5. gold: the tables built from silver in one plain INSERT each
await pool.query('ANALYZE silver.trips');
await pool.query('CHECKPOINT');
const week = `date_trunc('week', occurred_at)::date`;
const gold = await onBackend(pool, async (c) => {
  await c.query(`INSERT INTO gold.trip_groups (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen, last_seen, datasource_ids)
                 SELECT region_id, origin_cell, destination_cell, tod_bucket, count(*), min(occurred_at), max(occurred_at), array_agg(DISTINCT datasource_id)
                   FROM silver.trips GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`);
  for (const end of ['origin', 'destination']) {
    await c.query(
      `INSERT INTO gold.weekly_${end}_cells SELECT ${end}_cell, ${week}, datasource_id, count(*) FROM silver.trips GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
  }
  await c.query(
    `INSERT INTO gold.weekly_od_cells SELECT origin_cell, destination_cell, ${week}, datasource_id, count(*) FROM silver.trips GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  await c.query(
    `INSERT INTO gold.weekly_region_counts SELECT region_id, ${week}, datasource_id, count(*) FROM silver.trips GROUP BY 1, 2, 3`,
  );
  await c.query(
    `INSERT INTO gold.region_latest SELECT DISTINCT ON (region_id) region_id, occurred_at, datasource_id FROM silver.trips ORDER BY region_id, occurred_at DESC`,
  );
});
say(`gold: plain INSERT … SELECT of every gold table ${s(gold.wallMs)} s; backend CPU ${s(gold.cpuMs)} s`);

// 6. the floor
const floor = (label: string, cpuMs: number) => {
  const ms = cpuMs / cpus().length;
  say(
    `${label}: sum of CPU ${s(cpuMs)} s over ${cpus().length} cores → no pipeline can finish under ${s(ms)} s = ${(ms / bareMs).toFixed(2)}× the bare copy (target 3×)`,
  );
};
floor('this schema', kafkaCpuMs + bronze.cpuMs + silver.cpuMs + gold.cpuMs);

// 7. the same with a schema stripped to what the ingestion issue alone names: silver without any
// index (no area queries, no lineage lookups) and gold reduced to the trip groups and their key.
await pool.query('TRUNCATE silver.trips, gold.trip_groups');
const { rows: silverIndexes } = await pool.query<{ name: string }>(
  `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'silver.trips'::regclass`,
);
await pool.query('ALTER TABLE silver.trips DROP CONSTRAINT trips_pkey');
for (const { name } of silverIndexes) await pool.query(`DROP INDEX IF EXISTS ${name}`);
await pool.query('DROP INDEX gold.trip_groups_size_idx');
await pool.query('CHECKPOINT');
const bareSilver = await onBackend(pool, copySilver);
await pool.query('ANALYZE silver.trips');
const groupsOnly = await onBackend(pool, (c) =>
  c.query(`INSERT INTO gold.trip_groups (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen, last_seen, datasource_ids)
           SELECT region_id, origin_cell, destination_cell, tod_bucket, count(*), min(occurred_at), max(occurred_at), array_agg(DISTINCT datasource_id)
             FROM silver.trips GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`),
);
say(
  `stripped: silver COPY without indexes ${s(bareSilver.wallMs)} s (CPU ${s(bareSilver.cpuMs)} s); gold trip groups only ${s(groupsOnly.wallMs)} s (CPU ${s(groupsOnly.cpuMs)} s)`,
);
floor('stripped schema', kafkaCpuMs + bronze.cpuMs + bareSilver.cpuMs + groupsOnly.cpuMs);
await pool.end();
await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(values.database)} WITH (FORCE)`);
await admin.end();
