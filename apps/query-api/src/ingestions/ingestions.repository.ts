import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';

export interface IngestionRow {
  ingestion_no: number;
  ingestion_id: string;
  state: string;
  file_name: string | null;
  content_type: string | null;
  gzip: boolean;
  columns: string[];
  ignored_columns: string[];
  upload_bytes: string;
  upload_rows: string;
  upload_chunks: number;
  upload_sha256: string | null;
  total_chunks: number | null;
  total_rows: string | null;
  bronze_chunks: number;
  bronze_rows: string;
  silver_chunks: number;
  silver_rows: string;
  rejected_rows: string;
  gold_rows: string;
  accepted_at: Date;
  upload_completed_at: Date | null;
  bronze_completed_at: Date | null;
  silver_completed_at: Date | null;
  gold_completed_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  retraction_requested_at: Date | null;
  retracted_at: Date | null;
  updated_at: Date;
  error_stage: string | null;
  error_code: string | null;
  error_message: string | null;
  /** accepted_at with microseconds, UTC, for the page cursor (a JS Date keeps only milliseconds). */
  accepted_key: string;
}

export interface RejectRow {
  line_no: string;
  reason: string;
  region: string | null;
  origin_coord: string | null;
  destination_coord: string | null;
  datetime: string | null;
  datasource: string | null;
  raw_record: string | null;
}

const COLUMNS = `i.*, to_char(i.accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS accepted_key`;

@Injectable()
export class IngestionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async byId(ingestionId: string): Promise<IngestionRow | undefined> {
    const { rows } = await this.pool.query<IngestionRow>(
      `SELECT ${COLUMNS} FROM meta.ingestions i WHERE i.ingestion_id = $1::uuid`,
      [ingestionId],
    );
    return rows[0];
  }

  /** Newest first (accepted_at, then ingestion_no, both descending); `after` is the last row of the previous page. */
  async page(limit: number, after?: { acceptedAt: string; ingestionNo: number }): Promise<IngestionRow[]> {
    const { rows } = await this.pool.query<IngestionRow>(
      `SELECT ${COLUMNS} FROM meta.ingestions i
        ${after ? 'WHERE (i.accepted_at, i.ingestion_no) < ($2::timestamptz, $3::integer)' : ''}
        ORDER BY i.accepted_at DESC, i.ingestion_no DESC
        LIMIT $1::integer`,
      after ? [limit, after.acceptedAt, after.ingestionNo] : [limit],
    );
    return rows;
  }

  /**
   * Rejected rows of an ingestion in line order, after line `afterLine`: at most `limit` rows, and
   * no more once `maxBytes` of values are in the page (always at least one row). A reject keeps its
   * raw record, which may be as long as UPLOAD_MAX_RECORD_BYTES: a count alone would not bound a page.
   * `more`: rows remain after the page.
   */
  async rejections(
    ingestionNo: number,
    limit: number,
    afterLine: number,
    maxBytes: number,
  ): Promise<{ rows: RejectRow[]; more: boolean }> {
    // octet_length reads a TOASTed value's size from its header, without fetching the value.
    const { rows } = await this.pool.query<RejectRow & { before: string }>(
      `SELECT * FROM (
         SELECT line_no, reason, region, origin_coord, destination_coord, datetime, datasource, raw_record,
                coalesce(sum(size) OVER (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
           FROM (SELECT r.*, coalesce(octet_length(r.raw_record), 0) + coalesce(octet_length(r.region), 0)
                        + coalesce(octet_length(r.origin_coord), 0) + coalesce(octet_length(r.destination_coord), 0)
                        + coalesce(octet_length(r.datetime), 0) + coalesce(octet_length(r.datasource), 0) AS size
                   FROM silver.rejects r
                  WHERE r.ingestion_no = $1::integer AND r.line_no > $2::bigint
                  ORDER BY r.line_no
                  LIMIT $3::integer + 1) AS sized
       ) AS paged
       WHERE before < $4::bigint
       ORDER BY line_no`,
      [ingestionNo, afterLine, limit, maxBytes],
    );
    const page = rows.slice(0, limit);
    return { rows: page, more: rows.length > page.length || (await this.hasRejectAfter(ingestionNo, page.at(-1))) };
  }

  /** Whether a reject follows `last` (after a page cut short by its byte budget). */
  private async hasRejectAfter(ingestionNo: number, last: RejectRow | undefined): Promise<boolean> {
    if (!last) return false;
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM silver.rejects WHERE ingestion_no = $1::integer AND line_no > $2::bigint LIMIT 1',
      [ingestionNo, last.line_no],
    );
    return Boolean(rowCount);
  }
}
