import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { SILVER_COPY_COLUMNS, type TripReject } from '#csv';
import { sqlPath } from '#db';

const { from: copyFrom } = copyStreams;

/** A chunk whose marker waits for its segment, locked by the build that claimed it. */
export interface WaitingChunk {
  seq: number;
  rows: number;
}

/** A raw chunk as bronze holds it. */
export interface BronzeChunk {
  seq: number;
  /** Physical line of the chunk's first byte. */
  startLine: number;
  rows: number;
  data: Buffer;
}

/** What a built segment holds, per chunk. */
export interface SegmentChunk {
  seq: number;
  validRows: number;
  rejectedRows: number;
}

/** The partition of silver.trips that holds segment `n`. */
export const segmentTable = (n: number): string => `silver.trips_${n}`;

/**
 * The SQL of building a segment (docs/architecture.md, "Write path"). Every method but
 * {@link readChunks} runs inside the build's transaction: the partition, its indexes, its gold, the
 * markers of its chunks and the ingestion's counters commit together or not at all.
 */
@Injectable()
export class SegmentRepository {
  private readonly goldSql = readFileSync(sqlPath('transform', 'gold.sql'), 'utf8');

  /** The ingestion's waiting chunks that no other build holds, locked for this one. */
  async claimWaiting(client: pg.ClientBase, ingestionNo: number): Promise<WaitingChunk[]> {
    const { rows } = await client.query<{ seq: number; rows: number }>(
      `SELECT seq, rows FROM meta.silver_chunks
        WHERE ingestion_no = $1 AND segment_no IS NULL
        ORDER BY seq
          FOR UPDATE SKIP LOCKED`,
      [ingestionNo],
    );
    return rows;
  }

  /** The raw chunks, read outside the build's transaction (bronze chunks never change once written). */
  async readChunks(db: pg.Pool | pg.ClientBase, ingestionNo: number, seqs: readonly number[]): Promise<BronzeChunk[]> {
    const { rows } = await db.query<{ seq: number; start_line: string; rows: number; data: Buffer }>(
      `SELECT seq, start_line, rows, data FROM bronze.chunks WHERE ingestion_no = $1 AND seq = ANY($2::int[]) ORDER BY seq`,
      [ingestionNo, seqs],
    );
    return rows.map((r) => ({ seq: r.seq, startLine: Number(r.start_line), rows: r.rows, data: r.data }));
  }

  async nextSegmentNo(client: pg.ClientBase): Promise<number> {
    const { rows } = await client.query<{ n: string }>(
      `SELECT nextval(pg_get_serial_sequence('meta.segments', 'segment_no')) AS n`,
    );
    return Number(rows[0].n);
  }

  /**
   * Creates the segment's table (not yet a partition: queries do not see it until it is attached) and
   * COPYs the encoded rows into it. FREEZE: the table was created in this transaction, so its rows
   * are written frozen and all-visible, and index-only scans never visit its heap.
   */
  async createAndCopy(client: pg.ClientBase, segmentNo: number, rows: AsyncIterable<Buffer>): Promise<void> {
    const table = segmentTable(segmentNo);
    await client.query(
      `CREATE TABLE ${table} (LIKE silver.trips, CONSTRAINT trips_${segmentNo}_segment CHECK (segment_no = ${segmentNo}))`,
    );
    await pipeline(
      Readable.from(rows),
      client.query(copyFrom(`COPY ${table} (${SILVER_COPY_COLUMNS.join(', ')}) FROM STDIN (FORMAT binary, FREEZE)`)),
    );
  }

  async copyRejects(client: pg.ClientBase, ingestionNo: number, rejects: readonly TripReject[]): Promise<void> {
    if (rejects.length === 0) return;
    const lines = rejects.map((r) => {
      const f = r.fields;
      const values = [r.reason, f?.region, f?.origin_coord, f?.destination_coord, f?.datetime, f?.datasource, r.raw];
      return `${ingestionNo},${r.line},${values.map(csvValue).join(',')}\n`;
    });
    await pipeline(
      Readable.from([Buffer.from(lines.join(''))]),
      client.query(
        copyFrom(
          `COPY silver.rejects (ingestion_no, line_no, reason, region, origin_coord, destination_coord, datetime, datasource, raw_record)
           FROM STDIN WITH (FORMAT csv)`,
        ),
      ),
    );
  }

  /** The covering indexes of the area queries, built once over the whole segment. */
  async buildIndexes(client: pg.ClientBase, segmentNo: number): Promise<void> {
    const table = segmentTable(segmentNo);
    await client.query(
      `CREATE INDEX trips_${segmentNo}_origin_cover_idx ON ${table} (origin_cell, origin_sub, origin_lon)
         INCLUDE (origin_lat, occurred_at, datasource_id, destination_lon, destination_lat, ingestion_no, line_no)`,
    );
    await client.query(
      `CREATE INDEX trips_${segmentNo}_destination_cover_idx ON ${table} (destination_cell, destination_sub, destination_lon)
         INCLUDE (destination_lat, occurred_at, datasource_id, origin_cell, ingestion_no, line_no)`,
    );
  }

  /** Adds the segment's rows to gold (sql/transform/gold.sql); returns the rows folded. */
  async foldGold(client: pg.ClientBase, segmentNo: number): Promise<number> {
    const sql = this.goldSql.replaceAll('silver.segment', segmentTable(segmentNo));
    const { rows } = await client.query<{ folded_rows: string }>(sql);
    return Number(rows[0].folded_rows);
  }

  /**
   * Makes the segment part of silver.trips. The CHECK constraint spares PostgreSQL a scan to prove
   * the partition bound, and the indexes built above become the partitions of silver's indexes. It
   * takes a SHARE UPDATE EXCLUSIVE lock on silver.trips (queries go on; another attach waits), so it
   * runs last, just before the markers and the counters.
   */
  async attach(client: pg.ClientBase, segmentNo: number): Promise<void> {
    await client.query(
      `ALTER TABLE silver.trips ATTACH PARTITION ${segmentTable(segmentNo)} FOR VALUES IN (${segmentNo})`,
    );
    await client.query(`ANALYZE ${segmentTable(segmentNo)}`);
  }

  /** Completes the markers of the segment's chunks and records the segment. */
  async recordSegment(
    client: pg.ClientBase,
    ingestionNo: number,
    segmentNo: number,
    chunks: readonly SegmentChunk[],
    buildMs: number,
  ): Promise<void> {
    await client.query(
      `UPDATE meta.silver_chunks c
          SET segment_no = $2, valid_rows = u.valid_rows, rejected_rows = u.rejected_rows, gold_done = true, done_at = now()
         FROM unnest($3::int[], $4::int[], $5::int[]) AS u (seq, valid_rows, rejected_rows)
        WHERE c.ingestion_no = $1 AND c.seq = u.seq`,
      [
        ingestionNo,
        segmentNo,
        chunks.map((c) => c.seq),
        chunks.map((c) => c.validRows),
        chunks.map((c) => c.rejectedRows),
      ],
    );
    const valid = chunks.reduce((s, c) => s + c.validRows, 0);
    const rows = chunks.reduce((s, c) => s + c.validRows + c.rejectedRows, 0);
    await client.query(
      `INSERT INTO meta.segments (segment_no, ingestion_no, chunks, rows, valid_rows, build_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
      [segmentNo, ingestionNo, chunks.length, rows, valid, Math.round(buildMs)],
    );
  }
}

/** A CSV field for COPY: unquoted empty is NULL, anything else quoted (so '' stays an empty string). */
function csvValue(v: string | null | undefined): string {
  return v === null || v === undefined ? '' : `"${v.replaceAll('"', '""')}"`;
}
