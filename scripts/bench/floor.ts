// The floor under the pipeline's throughput: the CPU that the work this design must do costs on
// this machine, measured piece by piece with everything else taken away, against the bare
// `psql \copy` of the same file (the reference of `npm run bench`).
//
//   kafka         the raw chunks (cut as upload-gateway cuts them) produced to a topic and consumed
//                 back with kafkajs, no processing: client CPU + broker CPU
//   bronze        one INSERT per raw chunk into bronze.chunks, the loader's statement (bytea, lz4 by
//                 TOAST), each its own transaction: backend CPU
//   parse         parseTrips + encodeSilverRows over every chunk (dictionary ids already cached), in
//                 this process: Node CPU (one core)
//   silver        in one transaction, as a segment build does it (SegmentRepository) with every row
//                 in one segment: the segment's partitions created, COPY (FORMAT binary, FREEZE) of
//                 the encoded rows into its silver table: backend CPU; then, reported apart,
//                 silver's indexes built once
//   gold          the segment's gold aggregated in Node (GoldDeltas: Node CPU), then its gold partitions
//                 COPYed and indexed, and, reported apart, the upserts of the small region tables
//                 (gold.sql): backend CPU
//   attach        the partitions attached and analyzed: backend CPU
//
// Left out, so the sum stays a lower bound: HTTP and CSV scanning in the gateway, the loader's and
// the transformer's markers and counters, events, dictionary look-ups, rejects (the file has none),
// the Kafka work items between the services, WAL writer, checkpointer and autovacuum CPU, and any
// waiting (commits, locks, I/O). With C cores, no schedule can finish in less than (sum of CPU) / C.
//
//   npm run build && node dist/scripts/bench/floor.js [--rows 1000000]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '#config';
import { RecordChunker, encodeSilverRows, parseTrips, recordLines, type Chunk, type ParsedTrips } from '#csv';
import { repoRoot } from '#db';
import { createKafka, ensureTopics, topicSpecs } from '#kafka';
import { Dictionaries } from '../../apps/transformer/src/transform/dictionaries.js';
import { GoldDeltas } from '../../apps/transformer/src/transform/gold-deltas.js';
import { SEGMENTED_TABLES, SegmentRepository } from '../../apps/transformer/src/transform/segment.repository.js';
import { HEADER } from './generate.js';
import { dropBenchDatabase, freshBenchDatabase } from './database.js';
import { bareCopyMs, benchFile, processCpuMs } from './reference.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, database: { type: 'string', default: 'trips_bench_floor' } },
});
const rows = Number(values.rows);
const root = repoRoot();
const cores = cpus().length;
const say = (msg: string) => process.stdout.write(`[bench:floor] ${msg}\n`);
const s = (ms: number) => (ms / 1000).toFixed(2);
const us = (ms: number) => ((ms * 1000) / rows).toFixed(2);

interface Piece {
  label: string;
  wallMs: number;
  cpuMs: number;
}
const pieces: Piece[] = [];
const report = (piece: Piece, what: string, cpu = 'backend CPU') => {
  pieces.push(piece);
  say(`${piece.label}: ${what} ${s(piece.wallMs)} s; ${cpu} ${s(piece.cpuMs)} s (${us(piece.cpuMs)} µs/row)`);
};

/** Wall and backend CPU of `work` run on `client`. */
async function onBackend(
  client: pg.ClientBase,
  work: () => Promise<unknown>,
): Promise<{ wallMs: number; cpuMs: number }> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const cpu0 = processCpuMs(pid);
  const t = performance.now();
  await work();
  return { wallMs: performance.now() - t, cpuMs: processCpuMs(pid) - cpu0 };
}

/** Wall and CPU of this process running `work`. */
async function inNode(work: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  await work();
  const wallMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

// 1. the file of `npm run bench` and its bare \copy
const file = await benchFile(rows);
const databaseUrl = await freshBenchDatabase(values.database);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const bareMs = await bareCopyMs(pool, databaseUrl, file, rows);
say(`${rows} rows; bare psql \\copy ${s(bareMs)} s → 3× target = ${s(3 * bareMs)} s; ${cores} cores`);

// 2. kafka: produce the raw chunks, consume them back
const env = loadConfig({
  ...process.env,
  DATABASE_URL: databaseUrl,
  KAFKA_TOPIC_PREFIX: `bench-floor-${Date.now().toString(36)}.`,
  LOG_LEVEL: 'warn',
});
const body = readFileSync(file).subarray(HEADER.length);
const chunker = new RecordChunker(env.UPLOAD_CHUNK_BYTES, 2);
const chunks: Chunk[] = [...chunker.push(body), ...chunker.end()];
execFileSync('bash', [join(root, 'scripts/kafka/start.sh')], { stdio: 'inherit' });
const brokerPid = Number(readFileSync(join(root, '.cache/kafka/kafka.pid'), 'utf8'));
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
const kafkaClient = process.cpuUsage(cpu0);
const kafkaClientMs = (kafkaClient.user + kafkaClient.system) / 1000;
const kafkaCpuMs = kafkaClientMs + processCpuMs(brokerPid) - broker0;
await Promise.all([producer.disconnect(), consumer.disconnect()]);
const kafkaAdmin = kafka.admin();
await kafkaAdmin.connect();
await kafkaAdmin.deleteTopics({ topics: topicSpecs(env).map((x) => x.topic) }).catch(() => undefined);
await kafkaAdmin.disconnect();
pieces.push({ label: 'kafka', wallMs: kafkaWallMs, cpuMs: kafkaCpuMs });
say(
  `kafka: ${chunks.length} chunks produced and consumed in ${s(kafkaWallMs)} s; CPU ${s(kafkaCpuMs)} s (kafkajs ${s(kafkaClientMs)} s, broker ${s(kafkaCpuMs - kafkaClientMs)} s; ${us(kafkaCpuMs)} µs/row)`,
);

// 3. bronze: every raw chunk a bronze.chunks row, as the loader inserts it (one transaction each)
const columns = HEADER.trim().split(',');
const ingestionNo = (
  await pool.query<{ n: number }>(
    `INSERT INTO meta.ingestions (ingestion_id, state, columns) VALUES (gen_random_uuid(), 'processing', $1) RETURNING ingestion_no AS n`,
    [columns],
  )
).rows[0].n;
const loads = chunks.map((c, seq) => ({ seq, chunk: c, lines: recordLines(c.data, c.firstLine) }));
const db = await pool.connect();
await db.query('CHECKPOINT');
const bronze = await onBackend(db, async () => {
  for (const { seq, chunk, lines } of loads) {
    await db.query(
      `INSERT INTO bronze.chunks (ingestion_no, seq, start_line, first_line, last_line, rows, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [ingestionNo, seq, chunk.firstLine, lines.firstLine, lines.lastLine, lines.records, chunk.data],
    );
  }
});
report({ label: 'bronze', ...bronze }, `${chunks.length} INSERTs into bronze.chunks`);

// 4. parse: the chunks (as read back from bronze) parsed and encoded for binary COPY. A first,
// untimed pass fills the dictionaries (and warms the parser up, as a long-running transformer is).
const raw = (
  await db.query<{ start_line: string; data: Buffer }>(
    'SELECT start_line, data FROM bronze.chunks WHERE ingestion_no = $1 ORDER BY seq',
    [ingestionNo],
  )
).rows.map((r) => ({ startLine: Number(r.start_line), data: r.data }));
const grid = { cellDegrees: env.GRID_CELL_DEGREES, bucketMinutes: env.TIME_BUCKET_MINUTES };
const dictionaries = new Dictionaries();
for (const c of raw) {
  const parsed = parseTrips(c.data, c.startLine, columns, grid);
  await dictionaries.regionIds(pool, parsed.regions);
  await dictionaries.datasourceIds(pool, parsed.datasources);
}
const segments = new SegmentRepository();
const segmentNo = await segments.nextSegmentNo(db);
const encoded: Buffer[] = [];
let valid = 0;
const parsedChunks: { trips: ParsedTrips; regionIds: number[]; datasourceIds: number[] }[] = [];
const parse = await inNode(async () => {
  for (const c of raw) {
    const parsed = parseTrips(c.data, c.startLine, columns, grid);
    const regionIds = await dictionaries.regionIds(pool, parsed.regions);
    const datasourceIds = await dictionaries.datasourceIds(pool, parsed.datasources);
    valid += parsed.trips.length;
    encoded.push(encodeSilverRows(parsed.trips, segmentNo, ingestionNo, regionIds, datasourceIds));
    parsedChunks.push({ trips: parsed.trips, regionIds, datasourceIds });
  }
});
if (valid !== rows) throw new Error(`parsed ${valid} valid rows, expected ${rows}`);
const copyBytes = encoded.reduce((n, b) => n + b.length, 0);
report(
  { label: 'parse', ...parse },
  `parseTrips + encodeSilverRows (${(copyBytes / 1e6).toFixed(0)} MB of COPY data)`,
  'Node CPU',
);

// 5. silver and gold: one segment holding every row, built in one transaction as TransformService
// builds it, each step timed alone
await db.query('CHECKPOINT');
await db.query('BEGIN');
await db.query('SET LOCAL jit = off');
await db.query(`SET LOCAL maintenance_work_mem = '${env.SEGMENT_BUILD_MEMORY_MB}MB'`);
const silver = await onBackend(db, async () => {
  await segments.createPartitions(db, segmentNo);
  // a Readable is the AsyncIterable copySilver takes; the rows are already encoded
  await segments.copySilver(db, segmentNo, Readable.from(encoded));
});
report(
  { label: 'silver COPY', ...silver },
  `partitions created, COPY (FORMAT binary, FREEZE) into silver.trips_${segmentNo}`,
);
const { rows: silverIndexes } = await db.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'silver.trips'::regclass`,
);
const indexes = await onBackend(db, () => segments.buildIndexes(db, 'silver.trips', segmentNo));
report({ label: 'silver indexes', ...indexes }, `${silverIndexes[0].n} indexes built`);
const goldTables = SEGMENTED_TABLES.filter((x) => x !== 'silver.trips');
const deltas = new GoldDeltas(rows);
const aggregate = await inNode(() => {
  for (const c of parsedChunks) deltas.add(c.trips, c.regionIds, c.datasourceIds);
  return Promise.resolve();
});
report({ label: 'gold aggregation', ...aggregate }, 'GoldDeltas over every parsed trip', 'Node CPU');
const goldCells = await onBackend(db, async () => {
  for (const table of deltas.tables()) await segments.copyGold(db, segmentNo, table);
  for (const table of goldTables) await segments.buildIndexes(db, table, segmentNo);
});
report(
  { label: 'gold cells', ...goldCells },
  `${goldTables.length} gold partitions COPYed (binary, FREEZE) and indexed`,
);
const gold = await onBackend(db, () => segments.stageGold(db, segmentNo, ingestionNo));
report({ label: 'gold regions', ...gold }, 'region counts and latest trips per ingestion (gold.sql)');
const attach = await onBackend(db, async () => {
  await segments.analyze(db, segmentNo);
  await db.query(
    `INSERT INTO meta.segments (segment_no, ingestion_no, chunks, rows, valid_rows, build_ms, attached)
     VALUES ($1, $2, 0, 0, 0, 0, false)`,
    [segmentNo, ingestionNo],
  );
  await segments.attachIngestion(db, ingestionNo);
});
report(
  { label: 'attach', ...attach },
  `${SEGMENTED_TABLES.length} partitions analyzed and attached, region gold folded in (complete.sql)`,
);
await db.query('COMMIT');
const { rows: silverRows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM silver.trips');
if (Number(silverRows[0].n) !== rows) throw new Error(`silver.trips holds ${silverRows[0].n} rows, expected ${rows}`);
db.release();

// 6. the floor
const floor = (label: string, ps: readonly Piece[]) => {
  const cpuMs = ps.reduce((n, p) => n + p.cpuMs, 0);
  const ms = cpuMs / cores;
  say(
    `${label}: sum of CPU ${s(cpuMs)} s over ${cores} cores → no pipeline can finish under ${s(ms)} s = ${(ms / bareMs).toFixed(2)}× the bare copy (target 3×)`,
  );
};
say(`CPU per row (µs): ${pieces.map((p) => `${p.label} ${us(p.cpuMs)}`).join(', ')}`);
say(`wall per row (µs): ${pieces.map((p) => `${p.label} ${us(p.wallMs)}`).join(', ')}`);
floor('floor', pieces);
floor(
  'rows into silver only (no indexes, no gold)',
  pieces.filter((p) => ['kafka', 'bronze', 'parse', 'silver COPY'].includes(p.label)),
);
await pool.end();
await dropBenchDatabase(databaseUrl);
