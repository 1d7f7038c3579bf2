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

  /** Rejected rows of an ingestion in line order, after line `afterLine`. */
  async rejections(ingestionNo: number, limit: number, afterLine: number): Promise<RejectRow[]> {
    const { rows } = await this.pool.query<RejectRow>(
      `SELECT line_no, reason, region, origin_coord, destination_coord, datetime, datasource, raw_record
         FROM silver.rejects
        WHERE ingestion_no = $1::integer AND line_no > $2::bigint
        ORDER BY line_no
        LIMIT $3::integer`,
      [ingestionNo, afterLine, limit],
    );
    return rows;
  }
}
