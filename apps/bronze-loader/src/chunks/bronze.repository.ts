import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import {
  binaryCopyHeader,
  binaryCopyTrailer,
  int16,
  int32,
  viewOf,
  writeInt4,
  writeInt8,
  type RecordLines,
} from '#csv';
import { PG_POOL, withTransaction } from '#db';

/** The ingestion's bronze counters after a transaction. */
export interface BronzeCounters {
  bronzeChunks: number;
  bronzeRows: number;
  totalChunks: number | null;
  totalRows: number | null;
  bronzeCompleted: boolean;
}

/** What `meta.bronze_chunks` records about a loaded chunk (the work item re-published on redelivery). */
export interface ChunkMarker {
  firstLine: number;
  lastLine: number;
  rows: number;
}

export type ChunkLoadResult =
  /** First delivery: rows and marker written. `completedNow`: this transaction completed bronze. */
  | { status: 'loaded'; marker: ChunkMarker; counters: BronzeCounters; completedNow: boolean }
  /** Redelivery: the marker existed, nothing was written. */
  | { status: 'duplicate'; marker: ChunkMarker; counters: BronzeCounters };

export interface EndResult {
  counters: BronzeCounters;
  /** This transaction set bronze_completed_at. */
  completedNow: boolean;
  /** Bronze was already complete and a chunk's transaction did it (that chunk's delivery publishes). */
  completedByChunk: boolean;
  /** total_chunks as recorded by the gateway (may differ from the end marker's if the contract broke). */
  recordedTotalChunks: number | null;
}

/** A raw chunk as bronze stores it. */
export interface ChunkLoad {
  ingestionNo: number;
  seq: number;
  /** Physical line of the chunk's first byte. */
  startLine: number;
  /** Records and the lines of the first and last (libs/csv recordLines). */
  records: RecordLines;
  /** The chunk's bytes exactly as uploaded. */
  data: Buffer;
}

const COUNTERS = `bronze_chunks, bronze_rows, total_chunks, total_rows, bronze_completed_at`;

interface CountersRow {
  bronze_chunks: number;
  bronze_rows: string;
  total_chunks: number | null;
  total_rows: string | null;
  bronze_completed_at: Date | null;
}

const toCounters = (r: CountersRow): BronzeCounters => ({
  bronzeChunks: r.bronze_chunks,
  bronzeRows: Number(r.bronze_rows),
  totalChunks: r.total_chunks,
  totalRows: r.total_rows === null ? null : Number(r.total_rows),
  bronzeCompleted: r.bronze_completed_at !== null,
});

/** SQL and COPY of the bronze layer and the loader's share of meta.ingestions. */
@Injectable()
export class BronzeRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async findIngestionNo(ingestionId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ ingestion_no: number }>(
      'SELECT ingestion_no FROM meta.ingestions WHERE ingestion_id = $1',
      [ingestionId],
    );
    return rows[0]?.ingestion_no;
  }

  /**
   * Loads one chunk exactly once: the marker, the chunk's row in bronze.chunks and the counters
   * commit together. The bytes go in as they are (one bytea parameter, lz4-compressed by TOAST):
   * nothing in a record can make this fail, so a bad record costs nothing here and is rejected with
   * its line and reason by the transformer.
   */
  loadChunk(load: ChunkLoad): Promise<ChunkLoadResult> {
    const { ingestionNo, seq, records } = load;
    return withTransaction(this.pool, async (client) => {
      const marker: ChunkMarker = { firstLine: records.firstLine, lastLine: records.lastLine, rows: records.records };
      const inserted = await client.query(
        `INSERT INTO meta.bronze_chunks (ingestion_no, seq, first_line, last_line, rows) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING seq`,
        [ingestionNo, seq, marker.firstLine, marker.lastLine, marker.rows],
      );
      if (!inserted.rowCount) {
        const { rows: found } = await client.query<{ first_line: string; last_line: string; rows: number }>(
          'SELECT first_line, last_line, rows FROM meta.bronze_chunks WHERE ingestion_no = $1 AND seq = $2',
          [ingestionNo, seq],
        );
        const { rows: counters } = await client.query<CountersRow>(
          `SELECT ${COUNTERS} FROM meta.ingestions WHERE ingestion_no = $1`,
          [ingestionNo],
        );
        const m = found[0];
        return {
          status: 'duplicate',
          marker: { firstLine: Number(m.first_line), lastLine: Number(m.last_line), rows: m.rows },
          counters: toCounters(counters[0]),
        };
      }

      await copyChunk(client, ingestionNo, seq, load.startLine, marker, load.data);

      // The counters last: the ingestion row lock is held only from here to COMMIT.
      const { rows: updated } = await client.query<CountersRow>(
        `UPDATE meta.ingestions SET bronze_chunks = bronze_chunks + 1, bronze_rows = bronze_rows + $2, updated_at = now()
         WHERE ingestion_no = $1 RETURNING ${COUNTERS}`,
        [ingestionNo, records.records],
      );
      const completedNow = await completeIfAllIn(client, ingestionNo);
      return {
        status: 'loaded',
        marker,
        counters: {
          ...toCounters(updated[0]),
          bronzeCompleted: updated[0].bronze_completed_at !== null || completedNow,
        },
        completedNow,
      };
    });
  }

  /**
   * The end-of-upload marker: under the ingestion's row lock, completes bronze if every chunk is in
   * (a header-only upload completes here with 0 chunks). Fills total_chunks if the gateway left it unset.
   */
  completeOnEnd(ingestionNo: number, totalChunks: number, totalRows: number): Promise<EndResult> {
    return withTransaction(this.pool, async (client) => {
      const { rows: locked } = await client.query<{ total_chunks: number | null }>(
        'SELECT total_chunks FROM meta.ingestions WHERE ingestion_no = $1 FOR UPDATE',
        [ingestionNo],
      );
      const recordedTotalChunks = locked[0].total_chunks;
      if (recordedTotalChunks === null) {
        await client.query(
          `UPDATE meta.ingestions SET total_chunks = $2, total_rows = COALESCE(total_rows, $3), updated_at = now() WHERE ingestion_no = $1`,
          [ingestionNo, totalChunks, totalRows],
        );
      }
      const completedNow = await completeIfAllIn(client, ingestionNo);
      const { rows } = await client.query<CountersRow & { by_chunk: boolean }>(
        // A chunk that completed bronze did so in its own transaction, whose now() is both its marker's
        // loaded_at and bronze_completed_at.
        `SELECT ${COUNTERS}, EXISTS (SELECT 1 FROM meta.bronze_chunks c WHERE c.ingestion_no = i.ingestion_no AND c.loaded_at = i.bronze_completed_at) AS by_chunk
         FROM meta.ingestions i WHERE ingestion_no = $1`,
        [ingestionNo],
      );
      return {
        counters: toCounters(rows[0]),
        completedNow,
        completedByChunk: !completedNow && rows[0].by_chunk,
        recordedTotalChunks,
      };
    });
  }

  /**
   * Marks the ingestion failed at the bronze stage (unless it already failed or completed). Returns the
   * failure to announce: the new one, or the bronze failure recorded earlier (a redelivered dead letter).
   */
  async markFailed(
    ingestionId: string,
    code: string,
    message: string,
  ): Promise<{ code: string; message: string } | undefined> {
    const { rows } = await this.pool.query<{ error_code: string; error_message: string }>(
      `UPDATE meta.ingestions
       SET state = 'failed', error_stage = 'bronze', error_code = $2, error_message = $3, failed_at = now(), updated_at = now()
       WHERE ingestion_id = $1 AND state IN ('accepted', 'uploading', 'processing')
       RETURNING error_code, error_message`,
      [ingestionId, code, message],
    );
    const row =
      rows[0] ??
      (
        await this.pool.query<{ error_code: string; error_message: string }>(
          `SELECT error_code, error_message FROM meta.ingestions WHERE ingestion_id = $1 AND state = 'failed' AND error_stage = 'bronze'`,
          [ingestionId],
        )
      ).rows[0];
    return row && { code: row.error_code, message: row.error_message };
  }
}

async function completeIfAllIn(client: pg.PoolClient, ingestionNo: number): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE meta.ingestions SET bronze_completed_at = now(), updated_at = now()
     WHERE ingestion_no = $1 AND bronze_completed_at IS NULL AND total_chunks IS NOT NULL AND bronze_chunks = total_chunks
     RETURNING bronze_chunks`,
    [ingestionNo],
  );
  return rowCount === 1;
}

/**
 * The chunk's row of bronze.chunks as a one-row binary COPY: pg-copy-streams writes the raw bytes to
 * the socket as they are, where a bytea parameter of an INSERT is first copied into the Bind message
 * (a CPU profile of the loader found that copy at ≈ 0.6 µs per row).
 */
async function copyChunk(
  client: pg.ClientBase,
  ingestionNo: number,
  seq: number,
  startLine: number,
  marker: ChunkMarker,
  data: Buffer,
): Promise<void> {
  const fields = Buffer.allocUnsafe(2 + 8 + 8 + 3 * 12 + 8 + 4);
  const dv = viewOf(fields);
  let p = int16(dv, 0, 7);
  p = writeInt4(dv, p, ingestionNo);
  p = writeInt4(dv, p, seq);
  p = writeInt8(dv, p, startLine);
  p = writeInt8(dv, p, marker.firstLine);
  p = writeInt8(dv, p, marker.lastLine);
  p = writeInt4(dv, p, marker.rows);
  p = int32(dv, p, data.length); // the bytea's length; its bytes follow as they are
  await pipeline(
    Readable.from([binaryCopyHeader(), fields.subarray(0, p), data, binaryCopyTrailer()]),
    client.query(
      copyStreams.from(
        'COPY bronze.chunks (ingestion_no, seq, start_line, first_line, last_line, rows, data) FROM STDIN (FORMAT binary)',
      ),
    ),
  );
}
