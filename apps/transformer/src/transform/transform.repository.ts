import { Injectable } from '@nestjs/common';
import type pg from 'pg';

/** The ingestion's silver counters right after a segment was counted in. */
export interface SilverProgress {
  ingestionId: string;
  silverChunks: number;
  totalChunks: number | null;
  validRows: number;
  rejectedRows: number;
  totalRows: number | null;
}

/** Totals of an ingestion whose silver layer is complete (payload of silver.completed). */
export interface SilverCompletion {
  validRows: number;
  rejectedRows: number;
  completedAt: Date;
}

/** Totals of a completed ingestion (payload of gold.completed and ingestion.completed). */
export interface Completion {
  validRows: number;
  rejectedRows: number;
  completedAt: Date;
  durationMs: number;
}

/** Whether a chunk's marker was new or already there (redelivery), and what now waits for a segment. */
export interface ChunkClaim {
  /** null when no ingestion has this number. */
  ingestionId: string | null;
  claimed: boolean;
  /** Rows of the ingestion's chunks that wait for a segment. */
  waitingRows: number;
  /** Rows of the ingestion already in silver (valid and rejected). */
  builtRows: number;
  /** Bronze is complete and every one of its chunks has arrived here. */
  allArrived: boolean;
}

export interface EndClaim {
  ingestionId: string | null;
  claimed: boolean;
}

const COMPLETION_COLUMNS = `silver_rows, rejected_rows, completed_at,
  round(extract(epoch FROM completed_at - accepted_at) * 1000)::bigint AS duration_ms`;

interface CompletionRow {
  silver_rows: string;
  rejected_rows: string;
  completed_at: Date;
  duration_ms: string;
}

const toCompletion = (r: CompletionRow): Completion => ({
  validRows: Number(r.silver_rows),
  rejectedRows: Number(r.rejected_rows),
  completedAt: r.completed_at,
  durationMs: Number(r.duration_ms),
});

interface SilverCompletionRow {
  silver_rows: string;
  rejected_rows: string;
  silver_completed_at: Date;
}

const toSilverCompletion = (r: SilverCompletionRow): SilverCompletion => ({
  validRows: Number(r.silver_rows),
  rejectedRows: Number(r.rejected_rows),
  completedAt: r.silver_completed_at,
});

interface ArrivalRow {
  waiting_rows: string;
  built_rows: string;
  all_arrived: boolean | null;
}

const ARRIVAL = `waiting_rows, silver_rows + rejected_rows AS built_rows,
  bronze_completed_at IS NOT NULL AND claimed_chunks = total_chunks AS all_arrived`;

/**
 * The transformer's markers and its share of meta.ingestions. Every method runs on the caller's
 * client, inside the caller's transaction.
 */
@Injectable()
export class TransformRepository {
  /**
   * Inserts the chunk's marker (waiting for its segment) and counts it in. A concurrent delivery of
   * the same chunk blocks here until the first one commits, then sees it.
   */
  async claimChunk(
    client: pg.ClientBase,
    ingestionNo: number,
    ingestionId: string,
    chunk: { seq: number; firstLine: number; lastLine: number; rows: number },
  ): Promise<ChunkClaim> {
    const { rows: found } = await client.query<{ ingestion_id: string; inserted: boolean }>(
      `WITH ingestion AS (SELECT ingestion_id FROM meta.ingestions WHERE ingestion_no = $1),
       marker AS (
         INSERT INTO meta.silver_chunks (ingestion_no, seq, valid_rows, rejected_rows, first_line, last_line, rows)
         SELECT $1, $2, 0, 0, $4, $5, $6 FROM ingestion WHERE ingestion_id = $3::uuid
         ON CONFLICT (ingestion_no, seq) DO NOTHING
         RETURNING 1
       )
       SELECT ingestion_id::text, EXISTS (SELECT 1 FROM marker) AS inserted FROM ingestion`,
      [ingestionNo, chunk.seq, ingestionId, chunk.firstLine, chunk.lastLine, chunk.rows],
    );
    if (!found[0]) return { ingestionId: null, claimed: false, waitingRows: 0, builtRows: 0, allArrived: false };
    const claimed = found[0].inserted;
    const { rows } = claimed
      ? await client.query<ArrivalRow>(
          `UPDATE meta.ingestions SET claimed_chunks = claimed_chunks + 1, waiting_rows = waiting_rows + $2, updated_at = now()
            WHERE ingestion_no = $1 RETURNING ${ARRIVAL}`,
          [ingestionNo, chunk.rows],
        )
      : await client.query<ArrivalRow>(`SELECT ${ARRIVAL} FROM meta.ingestions WHERE ingestion_no = $1`, [ingestionNo]);
    return {
      ingestionId: found[0].ingestion_id,
      claimed,
      waitingRows: Number(rows[0].waiting_rows),
      builtRows: Number(rows[0].built_rows),
      allArrived: rows[0].all_arrived === true,
    };
  }

  /** The ingestion's state and header, for a segment build. */
  async ingestionForBuild(
    client: pg.ClientBase,
    ingestionNo: number,
  ): Promise<{
    columns: string[];
    failed: boolean;
    waitingRows: number;
    builtRows: number;
    allArrived: boolean;
  } | null> {
    const { rows } = await client.query<{
      columns: string[];
      failed: boolean;
      waiting_rows: string;
      built_rows: string;
      all_arrived: boolean | null;
    }>(`SELECT columns, state = 'failed' AS failed, ${ARRIVAL} FROM meta.ingestions WHERE ingestion_no = $1`, [
      ingestionNo,
    ]);
    const r = rows[0];
    return r
      ? {
          columns: r.columns,
          failed: r.failed,
          waitingRows: Number(r.waiting_rows),
          builtRows: Number(r.built_rows),
          allArrived: r.all_arrived === true,
        }
      : null;
  }

  /** Adds a built segment's chunks and rows to the ingestion (locks the ingestion row until commit). */
  async countSegment(
    client: pg.ClientBase,
    ingestionNo: number,
    chunks: number,
    rows: number,
    validRows: number,
  ): Promise<SilverProgress> {
    const { rows: updated } = await client.query<{
      ingestion_id: string;
      silver_chunks: number;
      total_chunks: number | null;
      silver_rows: string;
      rejected_rows: string;
      total_rows: string | null;
    }>(
      `UPDATE meta.ingestions
          SET silver_chunks = silver_chunks + $2,
              silver_rows = silver_rows + $4,
              rejected_rows = rejected_rows + ($3 - $4),
              gold_rows = gold_rows + $4,
              waiting_rows = waiting_rows - $3,
              updated_at = clock_timestamp()
        WHERE ingestion_no = $1
       RETURNING ingestion_id::text, silver_chunks, total_chunks, silver_rows, rejected_rows, total_rows`,
      [ingestionNo, chunks, rows, validRows],
    );
    const r = updated[0];
    return {
      ingestionId: r.ingestion_id,
      silverChunks: r.silver_chunks,
      totalChunks: r.total_chunks,
      validRows: Number(r.silver_rows),
      rejectedRows: Number(r.rejected_rows),
      totalRows: r.total_rows === null ? null : Number(r.total_rows),
    };
  }

  /**
   * Completes the ingestion if every chunk of a complete bronze layer is in a segment: silver and gold
   * at once, since a segment's gold commits with it. Runs under the ingestion's row lock, so exactly
   * one transaction wins (true); the others get false. The winner attaches the segments, then
   * {@link stampCompletion} sets the completion times in the same transaction.
   */
  async tryComplete(client: pg.ClientBase, ingestionNo: number): Promise<boolean> {
    const { rowCount } = await client.query(
      `UPDATE meta.ingestions
          SET state = 'completed', completed_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE ingestion_no = $1
          AND completed_at IS NULL
          AND state <> 'failed'
          AND bronze_completed_at IS NOT NULL
          AND silver_chunks = total_chunks`,
      [ingestionNo],
    );
    return rowCount === 1;
  }

  /**
   * The completion times of an ingestion this transaction completed, once its segments are attached:
   * when its rows joined silver and gold, just before the commit shows them (the clock's, not now(),
   * which is the start of a transaction that may have built a segment for seconds). The completion
   * events carry this time.
   */
  async stampCompletion(client: pg.ClientBase, ingestionNo: number): Promise<Completion> {
    const { rows } = await client.query<CompletionRow>(
      `UPDATE meta.ingestions
          SET silver_completed_at = clock_timestamp(), gold_completed_at = clock_timestamp(), completed_at = clock_timestamp(),
              updated_at = clock_timestamp()
        WHERE ingestion_no = $1
       RETURNING ${COMPLETION_COLUMNS}`,
      [ingestionNo],
    );
    return toCompletion(rows[0]);
  }

  /** The silver totals if the silver layer is complete (for re-publishing on redelivery). */
  async silverCompletionOf(client: pg.ClientBase, ingestionNo: number): Promise<SilverCompletion | null> {
    const { rows } = await client.query<SilverCompletionRow>(
      `SELECT silver_rows, rejected_rows, silver_completed_at FROM meta.ingestions
        WHERE ingestion_no = $1 AND silver_completed_at IS NOT NULL`,
      [ingestionNo],
    );
    return rows[0] ? toSilverCompletion(rows[0]) : null;
  }

  /** The completion totals if the ingestion is complete (for re-publishing on redelivery). */
  async completionOf(client: pg.Pool | pg.ClientBase, ingestionNo: number): Promise<Completion | null> {
    const { rows } = await client.query<CompletionRow>(
      `SELECT ${COMPLETION_COLUMNS} FROM meta.ingestions WHERE ingestion_no = $1 AND completed_at IS NOT NULL`,
      [ingestionNo],
    );
    return rows[0] ? toCompletion(rows[0]) : null;
  }

  /** Records the `end` work item; `claimed` is false on a redelivery. */
  async claimEnd(
    client: pg.ClientBase,
    ingestionNo: number,
    ingestionId: string,
    totalChunks: number,
  ): Promise<EndClaim> {
    const { rows: found } = await client.query<{ ingestion_id: string }>(
      'SELECT ingestion_id::text FROM meta.ingestions WHERE ingestion_no = $1',
      [ingestionNo],
    );
    const id = found[0]?.ingestion_id ?? null;
    if (id === null || id !== ingestionId.toLowerCase()) return { ingestionId: id, claimed: false };
    const { rowCount } = await client.query(
      `INSERT INTO meta.silver_end_markers (ingestion_no, total_chunks) VALUES ($1, $2)
       ON CONFLICT (ingestion_no) DO NOTHING`,
      [ingestionNo, totalChunks],
    );
    return { ingestionId: id, claimed: rowCount === 1 };
  }

  /**
   * Marks the ingestion failed at the silver stage, keeping the first failure's reason. Returns the
   * stored reason, or null when the ingestion is completed (or retracted) or failed earlier at another stage.
   */
  async markFailed(
    pool: pg.Pool,
    ingestionId: string,
    code: string,
    message: string,
  ): Promise<{ ingestionNo: number; code: string; message: string; failedAt: Date } | null> {
    const { rows } = await pool.query<{
      ingestion_no: number;
      error_code: string;
      error_message: string;
      failed_at: Date;
    }>(
      `UPDATE meta.ingestions
          SET state = 'failed',
              failed_at = coalesce(failed_at, now()),
              error_stage = coalesce(error_stage, 'silver'),
              error_code = coalesce(error_code, $2),
              error_message = coalesce(error_message, $3),
              updated_at = now()
        WHERE ingestion_id = $1::uuid
          AND state IN ('accepted', 'uploading', 'processing', 'failed')
          AND (state <> 'failed' OR error_stage = 'silver')
       RETURNING ingestion_no, error_code, error_message, failed_at`,
      [ingestionId, code, message],
    );
    const r = rows[0];
    return r
      ? { ingestionNo: r.ingestion_no, code: r.error_code, message: r.error_message, failedAt: r.failed_at }
      : null;
  }
}
