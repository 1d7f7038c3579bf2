import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { IngestionState } from '#contracts';
import { PG_POOL, retryTransient } from '#db';

export interface NewIngestion {
  ingestionId: string;
  fileName: string | null;
  contentType: string;
  gzip: boolean;
  columns: string[];
  ignoredColumns: string[];
}

export interface UploadCounters {
  bytes: number;
  rows: number;
  chunks: number;
}

/**
 * The gateway's SQL on meta.ingestions: it creates the row and owns the upload_* columns. Every
 * statement after the creation is idempotent and retried through a connection cut (retryTransient),
 * so a PostgreSQL restart mid-upload does not fail an upload whose chunks are all in Kafka. The
 * creation is not retried: had the cut come after its commit, the retry would find the id taken.
 */
@Injectable()
export class IngestionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async exists(ingestionId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM meta.ingestions WHERE ingestion_id = $1', [ingestionId]);
    return Boolean(rowCount);
  }

  /** Creates the ingestion in state `uploading`; false when the id is already taken (a concurrent reuse). */
  async create(i: NewIngestion): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO meta.ingestions (ingestion_id, state, file_name, content_type, gzip, columns, ignored_columns,
                                    upload_heartbeat_at)
       VALUES ($1, 'uploading', $2, $3, $4, $5, $6, now())
       ON CONFLICT (ingestion_id) DO NOTHING`,
      [i.ingestionId, i.fileName, i.contentType, i.gzip, i.columns, i.ignoredColumns],
    );
    return rowCount === 1;
  }

  async recordProgress(ingestionId: string, c: UploadCounters): Promise<void> {
    await this.retried(
      `UPDATE meta.ingestions
          SET upload_bytes = $2, upload_rows = $3, upload_chunks = $4, updated_at = now()
        WHERE ingestion_id = $1`,
      [ingestionId, c.bytes, c.rows, c.chunks],
    );
  }

  /**
   * One statement, before the raw `end` marker is published (docs/architecture.md "Completion"):
   * bronze-loader compares its chunk count with total_chunks under the row lock, so total_chunks must
   * be visible before any loader can see the marker. A state another service already moved on (e.g.
   * `failed`) is kept. Returns the resulting state.
   */
  async completeUpload(ingestionId: string, c: UploadCounters & { sha256: string }): Promise<IngestionState> {
    const { rows } = await this.retried<{ state: IngestionState }>(
      `UPDATE meta.ingestions
          SET total_chunks = $4, total_rows = $3, upload_bytes = $2, upload_rows = $3, upload_chunks = $4,
              upload_sha256 = $5, upload_completed_at = now(),
              state = CASE WHEN state = 'uploading' THEN 'processing' ELSE state END,
              updated_at = now()
        WHERE ingestion_id = $1
        RETURNING state`,
      [ingestionId, c.bytes, c.rows, c.chunks, c.sha256],
    );
    if (!rows[0]) throw new Error(`ingestion ${ingestionId} vanished during its upload`);
    return rows[0].state;
  }

  /** Marks the upload failed; keeps an earlier failure (the first cause is the useful one). True if it changed the row. */
  async failUpload(ingestionId: string, code: string, message: string, c: UploadCounters): Promise<boolean> {
    const { rowCount } = await this.retried(
      `UPDATE meta.ingestions
          SET state = 'failed', error_stage = 'upload', error_code = $2, error_message = $3, failed_at = now(),
              upload_bytes = $4, upload_rows = $5, upload_chunks = $6, updated_at = now()
        WHERE ingestion_id = $1 AND state IN ('accepted', 'uploading', 'processing')`,
      [ingestionId, code, message, c.bytes, c.rows, c.chunks],
    );
    return rowCount === 1;
  }

  /**
   * A completed ingestion becomes `retracting` (a retraction requested earlier stays so). Returns its
   * number and the state it is in now, whether its rows are still from before segments (migration
   * 0013: they cannot be retracted), or null when no ingestion has the id.
   */
  async requestRetraction(
    ingestionId: string,
  ): Promise<{ ingestionNo: number; state: IngestionState; legacyRows: boolean } | null> {
    const { rows } = await this.retried<{ ingestion_no: number; state: IngestionState; legacy_rows: boolean }>(
      `WITH target AS (
         SELECT ingestion_no, state,
                EXISTS (SELECT 1 FROM meta.silver_chunks c WHERE c.ingestion_no = i.ingestion_no AND c.segment_no IS NULL)
                  AS legacy_rows
           FROM meta.ingestions i WHERE ingestion_id = $1 FOR UPDATE
       ),
       requested AS (
         UPDATE meta.ingestions i
            SET state = 'retracting', retraction_requested_at = now(), updated_at = now()
           FROM target
          WHERE i.ingestion_no = target.ingestion_no AND target.state = 'completed' AND NOT target.legacy_rows
         RETURNING i.ingestion_no
       )
       SELECT t.ingestion_no, CASE WHEN r.ingestion_no IS NULL THEN t.state ELSE 'retracting' END AS state, t.legacy_rows
         FROM target t LEFT JOIN requested r USING (ingestion_no)`,
      [ingestionId],
    );
    const r = rows[0];
    return r ? { ingestionNo: r.ingestion_no, state: r.state, legacyRows: r.legacy_rows } : null;
  }

  private retried<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return retryTransient(() => this.pool.query<R>(sql, params));
  }

  /** Stamps the uploads this gateway is streaming: they are alive. */
  async heartbeat(ingestionIds: string[]): Promise<void> {
    if (ingestionIds.length === 0) return;
    await this.pool.query(
      `UPDATE meta.ingestions SET upload_heartbeat_at = now()
        WHERE ingestion_id = ANY ($1::uuid[]) AND state = 'uploading'`,
      [ingestionIds],
    );
  }

  /**
   * Fails every upload whose gateway stopped stamping it more than `staleMs` ago (one statement: two
   * gateways sweeping at once fail each ingestion once). Returns the ingestions it failed.
   */
  async failInterrupted(staleMs: number, message: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ ingestion_id: string }>(
      `UPDATE meta.ingestions
          SET state = 'failed', error_stage = 'upload', error_code = 'upload_interrupted', error_message = $2,
              failed_at = now(), updated_at = now()
        WHERE state = 'uploading' AND upload_heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)
        RETURNING ingestion_id`,
      [staleMs, message],
    );
    return rows.map((r) => r.ingestion_id);
  }
}
