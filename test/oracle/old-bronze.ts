// FROZEN: the COPY / per-record fallback logic of apps/bronze-loader/src/chunks/bronze.repository.ts and
// chunks.service.ts (commit 3772b28), reduced to one function without markers and counters: how the
// old path stored a raw chunk in bronze.trips. The oracle of parser-parity.int-spec.ts.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { REQUIRED_COLUMNS } from '#contracts';
import { buildChunkRows, parseChunkRecords, planColumns, type ChunkRows, type InsertRow } from './copy-rows.js';

const { from: copyFrom } = copyStreams;
const INSERT_BATCH = 500;

export interface OldBronzeLoad {
  rows: ChunkRows;
  /** `copy`: COPY took the chunk; `insert`: COPY rejected it and records went in one by one. */
  mode: 'copy' | 'insert';
}

function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** Loads one raw chunk into bronze.trips exactly as the old bronze-loader did, in its own transaction. */
export async function loadBronzeChunkOld(
  client: pg.ClientBase,
  ingestionNo: number,
  value: Buffer,
  firstLine: number,
  columns: readonly string[],
): Promise<OldBronzeLoad> {
  const plan = planColumns(columns);
  const rows = buildChunkRows(value, firstLine, ingestionNo, plan);
  await client.query('BEGIN');
  try {
    // The old loader retried a rejected COPY in a new transaction; a savepoint is equivalent.
    await client.query('SAVEPOINT chunk');
    let mode: 'copy' | 'insert' = 'copy';
    try {
      const columnList = plan.copyColumns.join(', ');
      if (rows.goodRows) {
        await copyIn(
          client,
          `COPY bronze.trips (ingestion_no, line_no, ${columnList}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (${columnList}))`,
          rows.good,
        );
      }
      if (rows.badRows) {
        await copyIn(
          client,
          'COPY bronze.trips (ingestion_no, line_no, raw_record) FROM STDIN WITH (FORMAT csv)',
          rows.bad,
        );
      }
    } catch (error) {
      if (!isDataError(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT chunk');
      mode = 'insert';
      await insertRecords(client, ingestionNo, parseChunkRecords(value, rows.records, columns));
    }
    await client.query('COMMIT');
    return { rows, mode };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function copyIn(client: pg.ClientBase, sql: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(sql)));
}

async function insertRecords(client: pg.ClientBase, ingestionNo: number, records: InsertRow[]): Promise<void> {
  const raw: InsertRow[] = records.filter((r) => !r.values);
  const good = records.filter((r) => r.values);
  for (let i = 0; i < good.length; i += INSERT_BATCH) {
    const batch = good.slice(i, i + INSERT_BATCH);
    if (!(await inSavepoint(client, () => insertTyped(client, ingestionNo, batch)))) {
      for (const record of batch) {
        if (!(await inSavepoint(client, () => insertTyped(client, ingestionNo, [record])))) raw.push(record);
      }
    }
  }
  for (let i = 0; i < raw.length; i += INSERT_BATCH) {
    const batch = raw.slice(i, i + INSERT_BATCH);
    if (await inSavepoint(client, () => insertRaw(client, ingestionNo, batch))) continue;
    for (const record of batch) await inSavepoint(client, () => insertRaw(client, ingestionNo, [record]), true);
  }
}

async function inSavepoint(client: pg.ClientBase, fn: () => Promise<unknown>, rethrow = false): Promise<boolean> {
  await client.query('SAVEPOINT bronze_record');
  try {
    await fn();
    await client.query('RELEASE SAVEPOINT bronze_record');
    return true;
  } catch (error) {
    if (!isDataError(error)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT bronze_record');
    if (rethrow) throw error;
    return false;
  }
}

function insertTyped(client: pg.ClientBase, ingestionNo: number, records: InsertRow[]): Promise<unknown> {
  const width = REQUIRED_COLUMNS.length + 1;
  const params: unknown[] = [ingestionNo];
  const tuples = records.map((r) => {
    params.push(r.line, ...REQUIRED_COLUMNS.map((c) => r.values![c]));
    const base = params.length - width;
    return `($1, ${Array.from({ length: width }, (_, k) => `$${base + k + 1}`).join(', ')})`;
  });
  return client.query(
    `INSERT INTO bronze.trips (ingestion_no, line_no, ${REQUIRED_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
    params,
  );
}

function insertRaw(client: pg.ClientBase, ingestionNo: number, records: InsertRow[]): Promise<unknown> {
  const params: unknown[] = [ingestionNo];
  const tuples = records.map((r) => {
    params.push(r.line, r.raw);
    return `($1, $${params.length - 1}, $${params.length})`;
  });
  return client.query(
    `INSERT INTO bronze.trips (ingestion_no, line_no, raw_record) VALUES ${tuples.join(', ')}`,
    params,
  );
}
