import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Env } from '#config';
import { testEnv } from '#testing';
import { Dictionaries } from '../src/transform/dictionaries.js';
import { SegmentRepository } from '../src/transform/segment.repository.js';
import { TransformRepository } from '../src/transform/transform.repository.js';
import { TransformService } from '../src/transform/transform.service.js';

/** A record of a test upload: five fields (any may be missing), or the whole record as raw text. */
export interface BronzeRecord {
  line: number;
  region?: string | null;
  origin?: string | null;
  destination?: string | null;
  datetime?: string | null;
  datasource?: string | null;
  raw?: string;
}

export interface TestIngestion {
  ingestionNo: number;
  ingestionId: string;
}

/** A meta.ingestions row in the state the upstream services leave it in. */
export async function createIngestion(
  pool: pg.Pool,
  opts: { totalChunks?: number | null; bronzeCompleted?: boolean; totalRows?: number | null } = {},
): Promise<TestIngestion> {
  const ingestionId = randomUUID();
  const { rows } = await pool.query<{ ingestion_no: number }>(
    `INSERT INTO meta.ingestions (ingestion_id, state, columns, total_chunks, total_rows, bronze_chunks, bronze_completed_at)
     VALUES ($1, 'processing', '{region,origin_coord,destination_coord,datetime,datasource}', $2, $3, coalesce($2, 0),
             CASE WHEN $4 THEN now() END)
     RETURNING ingestion_no`,
    [ingestionId, opts.totalChunks ?? null, opts.totalRows ?? null, opts.bronzeCompleted ?? false],
  );
  return { ingestionNo: rows[0].ingestion_no, ingestionId };
}

/** A record as CSV: each field quoted (so '' stays empty); a missing field is an empty unquoted one. */
function csvRecord(r: BronzeRecord): string {
  if (r.raw !== undefined) return r.raw;
  const q = (v: string | null | undefined) => (v === null || v === undefined ? '' : `"${v.replaceAll('"', '""')}"`);
  return [r.region, r.origin, r.destination, r.datetime, r.datasource].map(q).join(',');
}

/**
 * Stores records as one raw chunk in bronze.chunks, as the loader would: the chunk starts at the
 * first record's line, and blank lines (which are not records) keep every record on its line.
 * Records must be given in line order and each fit on one line.
 */
export async function insertBronze(
  pool: pg.Pool,
  ingestionNo: number,
  records: BronzeRecord[],
  seq = 0,
): Promise<{ firstLine: number; lastLine: number; rows: number }> {
  const firstLine = records[0].line;
  let line = firstLine;
  let text = '';
  for (const r of records) {
    if (r.line < line) throw new Error(`record lines must increase (line ${r.line})`);
    text += '\n'.repeat(r.line - line) + csvRecord(r) + '\n';
    line = r.line + 1;
  }
  const lastLine = records[records.length - 1].line;
  await pool.query(
    `INSERT INTO bronze.chunks (ingestion_no, seq, start_line, first_line, last_line, rows, data)
     VALUES ($1, $2, $3, $3, $4, $5, $6)`,
    [ingestionNo, seq, firstLine, lastLine, records.length, Buffer.from(text, 'utf8')],
  );
  return { firstLine, lastLine, rows: records.length };
}

/** `count` valid records from `firstLine` on, scattered around (lon, lat), on 2018 dates, as chunk `seq`. */
export async function generateBronze(
  pool: pg.Pool,
  ingestionNo: number,
  firstLine: number,
  count: number,
  at: { region: string; lon: number; lat: number; datasource?: string },
  seq = 0,
): Promise<void> {
  const records: BronzeRecord[] = [];
  const start = Date.UTC(2018, 0, 1);
  for (let g = 0; g < count; g++) {
    const when = new Date(start + g * (7 * 3600 + 13 * 60) * 1000).toISOString();
    records.push({
      line: firstLine + g,
      region: at.region,
      origin: point(at.lon + (g % 17) * 0.003, at.lat + (g % 13) * 0.002),
      destination: point(at.lon - (g % 11) * 0.004, at.lat - (g % 7) * 0.003),
      datetime: `${when.slice(0, 10)} ${when.slice(11, 19)}`,
      datasource: at.datasource ?? 'test_source',
    });
  }
  await insertBronze(pool, ingestionNo, records, seq);
}

/** POINT text exactly as the CSVs carry it: x = longitude, y = latitude. */
export const point = (lon: number, lat: number): string => `POINT (${lon} ${lat})`;

/**
 * A transformer service on the test database. By default every chunk is built into a segment at
 * once (SEGMENT_ROWS 1, and segments do not grow with the ingestion: SEGMENT_MAX_ROWS 1).
 */
export function transformService(pool: pg.Pool, env: Partial<Env> = {}): TransformService {
  return new TransformService(pool, new TransformRepository(), new SegmentRepository(), new Dictionaries(), {
    ...testEnv(),
    SEGMENT_ROWS: 1,
    SEGMENT_MAX_ROWS: 1,
    ...env,
  });
}

/** Hands a bronze chunk to the transformer as its work item would; returns what its marker counted. */
/**
 * Ends the ingestion after its `chunks` chunks, as the loader's end item does: its last segment is
 * built and it completes, which attaches its segments (only completed ingestions count).
 */
export async function completeIngestion(
  service: TransformService,
  pool: pg.Pool,
  ing: TestIngestion,
  chunks: number,
): Promise<void> {
  await pool.query(
    'UPDATE meta.ingestions SET total_chunks = $2, bronze_chunks = $2, bronze_completed_at = now() WHERE ingestion_no = $1',
    [ing.ingestionNo, chunks],
  );
  await service.handleEnd({ kind: 'end', ...ing, totalChunks: chunks });
}

export async function transformChunk(
  service: TransformService,
  pool: pg.Pool,
  ing: TestIngestion,
  seq: number,
  chunk: { firstLine: number; lastLine: number; rows: number },
): Promise<{ totalRows: number; validRows: number; rejectedRows: number }> {
  await service.handleChunk({ kind: 'chunk', ...ing, seq, ...chunk });
  const { rows } = await pool.query<{ valid_rows: number; rejected_rows: number }>(
    'SELECT valid_rows, rejected_rows FROM meta.silver_chunks WHERE ingestion_no = $1 AND seq = $2',
    [ing.ingestionNo, seq],
  );
  return { totalRows: chunk.rows, validRows: rows[0].valid_rows, rejectedRows: rows[0].rejected_rows };
}
