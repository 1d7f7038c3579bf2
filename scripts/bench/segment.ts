// The transformer alone, without Kafka or HTTP: N synthetic trips (generate.ts) are cut into raw
// chunks as upload-gateway cuts them and stored in bronze.chunks as bronze-loader stores them; then
// every chunk's work item is handed to TransformService one after the other, as one consumer would,
// and each segment build reports the milliseconds of its steps; then the merges that are due run.
// Ends with the bytes per row of each layer. Usage: npm run build && node dist/scripts/bench/segment.js [--rows N] [--segment-rows S] [--segment-max-rows M]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '#config';
import { REQUIRED_COLUMNS } from '#contracts';
import { RecordChunker, recordLines, type Chunk } from '#csv';
import { Dictionaries } from '../../apps/transformer/src/transform/dictionaries.js';
import { SegmentMerger } from '../../apps/transformer/src/transform/segment-merger.js';
import { SegmentRepository } from '../../apps/transformer/src/transform/segment.repository.js';
import { TransformRepository } from '../../apps/transformer/src/transform/transform.repository.js';
import { TransformService, type SegmentSteps } from '../../apps/transformer/src/transform/transform.service.js';
import { rowGenerator } from './generate.js';
import { freshBenchDatabase } from './database.js';
import { layerBytes } from './sizes.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'segment-rows': { type: 'string', default: '250000' },
    'segment-max-rows': { type: 'string', default: '' },
    'chunk-bytes': { type: 'string', default: String(512 * 1024) },
    database: { type: 'string', default: 'trips_bench_segment' },
  },
});
const rows = Number(values.rows);
const say = (msg: string) => process.stdout.write(`[bench:segment] ${msg}\n`);
const us = (ms: number) => ((ms * 1000) / rows).toFixed(2);

const databaseUrl = await freshBenchDatabase(values.database);
const env = loadConfig({
  ...process.env,
  DATABASE_URL: databaseUrl,
  SEGMENT_ROWS: values['segment-rows'],
  ...(values['segment-max-rows'] ? { SEGMENT_MAX_ROWS: values['segment-max-rows'] } : {}),
  LOG_LEVEL: 'warn',
});
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });

// Bronze, as the loader leaves it.
const ingestionId = randomUUID();
const { rows: created } = await pool.query<{ ingestion_no: number }>(
  `INSERT INTO meta.ingestions (ingestion_id, state, columns) VALUES ($1, 'processing', $2) RETURNING ingestion_no`,
  [ingestionId, [...REQUIRED_COLUMNS]],
);
const ingestionNo = created[0].ingestion_no;
const chunker = new RecordChunker(Number(values['chunk-bytes']), 2);
const next = rowGenerator(42);
const chunks: Chunk[] = [];
for (let done = 0; done < rows;) {
  const n = Math.min(10_000, rows - done);
  chunks.push(...chunker.push(Buffer.from(next(n))));
  done += n;
}
chunks.push(...chunker.end());
const items = [];
let t = performance.now();
for (const [seq, c] of chunks.entries()) {
  const lines = recordLines(c.data, c.firstLine);
  await pool.query(
    `INSERT INTO bronze.chunks (ingestion_no, seq, start_line, first_line, last_line, rows, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [ingestionNo, seq, c.firstLine, lines.firstLine, lines.lastLine, lines.records, c.data],
  );
  items.push({ kind: 'chunk' as const, ingestionId, ingestionNo, seq, ...lines, rows: lines.records });
}
const bronzeMs = performance.now() - t;
await pool.query(
  `UPDATE meta.ingestions SET total_chunks = $2, total_rows = $3, bronze_chunks = $2, bronze_rows = $3,
          bronze_completed_at = now(), upload_completed_at = now() WHERE ingestion_no = $1`,
  [ingestionNo, chunks.length, rows],
);
say(
  `${rows} rows in ${chunks.length} chunks; bronze INSERTs ${(bronzeMs / 1000).toFixed(2)} s (${us(bronzeMs)} µs/row)`,
);

// The transformer, one work item after the other.
const segmentRepository = new SegmentRepository();
const service = new TransformService(pool, new TransformRepository(), segmentRepository, new Dictionaries(), env);
const steps: SegmentSteps = { copy: 0, rejects: 0, indexes: 0, goldCells: 0, gold: 0, analyze: 0 };
let segments = 0;
t = performance.now();
for (const item of items) {
  const outcome = await service.handleChunk(item);
  if (!outcome.built) continue;
  segments++;
  for (const k of Object.keys(steps) as (keyof SegmentSteps)[]) steps[k] += outcome.built.steps[k];
  say(
    `segment ${outcome.built.segmentNo}: ${outcome.built.rows} rows in ${outcome.built.ms} ms ${JSON.stringify(outcome.built.steps)}, ` +
      `RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`,
  );
}
const transformMs = performance.now() - t;
const { rows: state } = await pool.query<{ state: string; silver_rows: string }>(
  'SELECT state, silver_rows FROM meta.ingestions WHERE ingestion_no = $1',
  [ingestionNo],
);
if (state[0].state !== 'completed' || Number(state[0].silver_rows) !== rows) {
  throw new Error(`ingestion ended ${JSON.stringify(state[0])}`);
}
say(
  `transformer: ${(transformMs / 1000).toFixed(2)} s = ${Math.round(rows / (transformMs / 1000)).toLocaleString('en-US')} rows/s, ${segments} segments`,
);
say(`per row (µs): ${(Object.entries(steps) as [string, number][]).map(([k, ms]) => `${k} ${us(ms)}`).join(', ')}`);
// Then the background merges, as a transformer runs them once the ingestion is quiet.
t = performance.now();
const merges = await new SegmentMerger(pool, segmentRepository, { ...env, MERGE_QUIET_MS: 0 }).mergeWhileDue();
const mergeMs = performance.now() - t;
for (const m of merges) say(`merge: segments ${m.sources.join(',')} → ${m.segmentNo}, ${m.rows} rows in ${m.ms} ms`);
say(`merges: ${merges.length} in ${(mergeMs / 1000).toFixed(2)} s (${us(mergeMs)} µs per ingested row)`);
await pool.query('VACUUM ANALYZE');
const sizes = await layerBytes(pool);
say(
  `bytes per row: ${Object.entries(sizes)
    .map(([k, b]) => `${k} ${(b / rows).toFixed(0)}`)
    .join(', ')}`,
);
await pool.end();
