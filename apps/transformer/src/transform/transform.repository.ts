import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { sqlPath } from '#db';

/** What a chunk's transformation did (chunk.sql's result). */
export interface ChunkCounts {
  /** Bronze rows in the chunk's line range. */
  totalRows: number;
  validRows: number;
  rejectedRows: number;
}

/** The ingestion's silver counters right after a chunk was counted in. */
export interface SilverProgress {
  ingestionId: string;
  silverChunks: number;
  totalChunks: number | null;
  validRows: number;
  rejectedRows: number;
  totalRows: number | null;
  /** Valid rows already folded into gold. */
  goldRows: number;
  failed: boolean;
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

/** Whether a chunk's marker was new (transform it) or already there (redelivery). */
export interface ChunkClaim {
  /** null when no ingestion has this number. */
  ingestionId: string | null;
  claimed: boolean;
}

export interface EndClaim {
  ingestionId: string | null;
  claimed: boolean;
}

export interface GridSettings {
  cellDegrees: number;
  bucketMinutes: number;
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

/** Key space of the transformer's advisory locks (with the ingestion number): one gold fold at a time. */
const GOLD_LOCK = 0x676f6c64; // 'gold'

/**
 * The transformer's SQL. Every method runs on the caller's client, inside the caller's transaction:
 * a chunk's marker, silver rows and counters commit together or not at all, and so do a gold fold's
 * upserts and the markers of the chunks it folded.
 * The set-based statements live in sql/transform/*.sql and are read once, at boot.
 */
@Injectable()
export class TransformRepository {
  private readonly chunkSql = readFileSync(sqlPath('transform', 'chunk.sql'), 'utf8');
  private readonly dictionariesSql = readFileSync(sqlPath('transform', 'dictionaries.sql'), 'utf8');
  private readonly goldSql = readFileSync(sqlPath('transform', 'gold.sql'), 'utf8');

  /**
   * Inserts the chunk's idempotency marker. Its counts are filled in by {@link recordChunk}; a
   * concurrent delivery of the same chunk blocks here until the first one commits, then sees it.
   */
  async claimChunk(
    client: pg.ClientBase,
    ingestionNo: number,
    ingestionId: string,
    seq: number,
    firstLine: number,
    lastLine: number,
  ): Promise<ChunkClaim> {
    const { rows } = await client.query<{ ingestion_id: string | null; claimed: boolean }>(
      `WITH ingestion AS (SELECT ingestion_id FROM meta.ingestions WHERE ingestion_no = $1),
       marker AS (
         INSERT INTO meta.silver_chunks (ingestion_no, seq, valid_rows, rejected_rows, first_line, last_line)
         SELECT $1, $2, 0, 0, $4, $5 FROM ingestion WHERE ingestion_id = $3::uuid
         ON CONFLICT (ingestion_no, seq) DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT ingestion_id::text FROM ingestion) AS ingestion_id, EXISTS (SELECT 1 FROM marker) AS claimed`,
      [ingestionNo, seq, ingestionId, firstLine, lastLine],
    );
    return { ingestionId: rows[0].ingestion_id, claimed: rows[0].claimed };
  }

  /** Adds the chunk's new regions and datasources (sql/transform/dictionaries.sql). */
  async addDictionaryEntries(
    client: pg.ClientBase,
    ingestionNo: number,
    firstLine: number,
    lastLine: number,
  ): Promise<void> {
    await client.query(this.dictionariesSql, [ingestionNo, firstLine, lastLine]);
  }

  /** Bronze → silver (+ rejects) for one chunk (sql/transform/chunk.sql). Run {@link addDictionaryEntries} first. */
  async transformChunk(
    client: pg.ClientBase,
    ingestionNo: number,
    firstLine: number,
    lastLine: number,
    grid: GridSettings,
  ): Promise<ChunkCounts> {
    const { rows } = await client.query<{ total_rows: string; valid_rows: string; rejected_rows: string }>(
      this.chunkSql,
      [ingestionNo, firstLine, lastLine, grid.cellDegrees, grid.bucketMinutes],
    );
    return {
      totalRows: Number(rows[0].total_rows),
      validRows: Number(rows[0].valid_rows),
      rejectedRows: Number(rows[0].rejected_rows),
    };
  }

  /** Stores the chunk's counts on its marker and adds them to the ingestion (locks the ingestion row). */
  async recordChunk(
    client: pg.ClientBase,
    ingestionNo: number,
    seq: number,
    counts: ChunkCounts,
  ): Promise<SilverProgress> {
    const { rows } = await client.query<{
      ingestion_id: string;
      silver_chunks: number;
      total_chunks: number | null;
      silver_rows: string;
      rejected_rows: string;
      total_rows: string | null;
      gold_rows: string;
      failed: boolean;
    }>(
      `WITH marker AS (
         UPDATE meta.silver_chunks SET valid_rows = $3, rejected_rows = $4 WHERE ingestion_no = $1 AND seq = $2
       )
       UPDATE meta.ingestions
          SET silver_chunks = silver_chunks + 1,
              silver_rows = silver_rows + $3,
              rejected_rows = rejected_rows + $4,
              updated_at = now()
        WHERE ingestion_no = $1
       RETURNING ingestion_id::text, silver_chunks, total_chunks, silver_rows, rejected_rows, total_rows, gold_rows,
                 state = 'failed' AS failed`,
      [ingestionNo, seq, counts.validRows, counts.rejectedRows],
    );
    const r = rows[0];
    return {
      ingestionId: r.ingestion_id,
      silverChunks: r.silver_chunks,
      totalChunks: r.total_chunks,
      validRows: Number(r.silver_rows),
      rejectedRows: Number(r.rejected_rows),
      totalRows: r.total_rows === null ? null : Number(r.total_rows),
      goldRows: Number(r.gold_rows),
      failed: r.failed,
    };
  }

  /**
   * Completes the silver layer if every chunk is in bronze and transformed. Runs in the transaction
   * that changed the counters, under the ingestion's row lock, so exactly one transaction wins; the
   * others get null.
   */
  async tryCompleteSilver(client: pg.ClientBase, ingestionNo: number): Promise<SilverCompletion | null> {
    const { rows } = await client.query<SilverCompletionRow>(
      `UPDATE meta.ingestions
          SET silver_completed_at = now(), updated_at = now()
        WHERE ingestion_no = $1
          AND silver_completed_at IS NULL
          AND state <> 'failed'
          AND bronze_completed_at IS NOT NULL
          AND silver_chunks = total_chunks
       RETURNING silver_rows, rejected_rows, silver_completed_at`,
      [ingestionNo],
    );
    return rows[0] ? toSilverCompletion(rows[0]) : null;
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

  /**
   * Takes the ingestion's gold lock for the rest of the transaction: folds of one ingestion run one
   * at a time. With `wait` false, returns false at once when another fold holds it.
   */
  async lockGold(client: pg.ClientBase, ingestionNo: number, wait: boolean): Promise<boolean> {
    if (wait) {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [GOLD_LOCK, ingestionNo]);
      return true;
    }
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [
      GOLD_LOCK,
      ingestionNo,
    ]);
    return rows[0].locked;
  }

  /**
   * Folds the silver rows of every transformed chunk of the ingestion not yet in gold (committed
   * markers with gold_done false) into gold (sql/transform/gold.sql), flags those markers and counts
   * the rows on the ingestion. Call under {@link lockGold}. Returns the rows folded.
   */
  async foldGold(client: pg.ClientBase, ingestionNo: number): Promise<number> {
    const { rows: chunks } = await client.query<{ first_line: string; last_line: string; valid_rows: number }>(
      `UPDATE meta.silver_chunks SET gold_done = true
        WHERE ingestion_no = $1 AND NOT gold_done
       RETURNING first_line, last_line, valid_rows`,
      [ingestionNo],
    );
    const ranges = chunks
      .filter((c) => c.valid_rows > 0)
      .map((c) => ({ firstLine: c.first_line, lastLine: c.last_line }));
    if (ranges.length === 0) return 0;
    const folded = await this.foldLines(client, ingestionNo, ranges);
    await client.query(
      'UPDATE meta.ingestions SET gold_rows = gold_rows + $2, updated_at = now() WHERE ingestion_no = $1',
      [ingestionNo, folded],
    );
    return folded;
  }

  /** Adds the silver rows of the given line ranges of an ingestion to gold (sql/transform/gold.sql); returns their number. */
  async foldLines(
    client: pg.ClientBase,
    ingestionNo: number,
    ranges: { firstLine: number | string; lastLine: number | string }[],
  ): Promise<number> {
    const { rows } = await client.query<{ folded_rows: string }>(this.goldSql, [
      ingestionNo,
      ranges.map((r) => String(r.firstLine)),
      ranges.map((r) => String(r.lastLine)),
    ]);
    return Number(rows[0].folded_rows);
  }

  /**
   * Completes the ingestion when silver is complete and every chunk is folded into gold. Runs under
   * the gold lock after {@link foldGold}; exactly one fold completes an ingestion, the others get null.
   */
  async tryCompleteGold(client: pg.ClientBase, ingestionNo: number): Promise<Completion | null> {
    const { rows } = await client.query<CompletionRow>(
      `UPDATE meta.ingestions
          SET gold_completed_at = now(), completed_at = now(), state = 'completed', updated_at = now()
        WHERE ingestion_no = $1
          AND gold_completed_at IS NULL
          AND silver_completed_at IS NOT NULL
          AND state <> 'failed'
          AND NOT EXISTS (SELECT 1 FROM meta.silver_chunks c WHERE c.ingestion_no = $1 AND NOT c.gold_done)
       RETURNING ${COMPLETION_COLUMNS}`,
      [ingestionNo],
    );
    return rows[0] ? toCompletion(rows[0]) : null;
  }

  /** The completion totals if the ingestion is complete (for re-publishing on redelivery). */
  async completionOf(client: pg.ClientBase, ingestionNo: number): Promise<Completion | null> {
    const { rows } = await client.query<CompletionRow>(
      `SELECT ${COMPLETION_COLUMNS} FROM meta.ingestions WHERE ingestion_no = $1 AND completed_at IS NOT NULL`,
      [ingestionNo],
    );
    return rows[0] ? toCompletion(rows[0]) : null;
  }

  /** Locks the ingestion row and records the `end` work item; `claimed` is false on a redelivery. */
  async claimEnd(
    client: pg.ClientBase,
    ingestionNo: number,
    ingestionId: string,
    totalChunks: number,
  ): Promise<EndClaim> {
    const locked = await client.query<{ ingestion_id: string }>(
      'SELECT ingestion_id::text FROM meta.ingestions WHERE ingestion_no = $1 FOR UPDATE',
      [ingestionNo],
    );
    const found = locked.rows[0]?.ingestion_id ?? null;
    if (found === null || found !== ingestionId.toLowerCase()) return { ingestionId: found, claimed: false };
    const { rowCount } = await client.query(
      `INSERT INTO meta.silver_end_markers (ingestion_no, total_chunks) VALUES ($1, $2)
       ON CONFLICT (ingestion_no) DO NOTHING`,
      [ingestionNo, totalChunks],
    );
    return { ingestionId: found, claimed: rowCount === 1 };
  }

  /**
   * Marks the ingestion failed at the silver stage, keeping the first failure's reason. Returns the
   * stored reason, or null when the ingestion is completed or failed earlier at another stage.
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
          AND state <> 'completed'
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
