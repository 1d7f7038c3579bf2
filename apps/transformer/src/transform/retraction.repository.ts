import { Injectable } from '@nestjs/common';
import type pg from 'pg';

/** A segment that holds rows of the ingestion being retracted. */
export interface HeldSegment {
  segmentNo: number;
  /** All of the segment's rows (valid and rejected), and its valid rows. */
  rows: number;
  validRows: number;
  /** The retracted ingestion's share of them. */
  ownRows: number;
  ownValidRows: number;
}

/** The ingestion a retraction work item names, locked for the retraction's transaction. */
export interface RetractionTarget {
  ingestionId: string;
  state: string;
  validRows: number;
  retractedAt: Date | null;
}

/** The SQL of a retraction (docs/architecture.md, "What counts"); every method runs in its transaction. */
@Injectable()
export class RetractionRepository {
  async lockIngestion(client: pg.ClientBase, ingestionNo: number): Promise<RetractionTarget | null> {
    const { rows } = await client.query<{
      ingestion_id: string;
      state: string;
      silver_rows: string;
      retracted_at: Date | null;
    }>(
      `SELECT ingestion_id::text, state, silver_rows, retracted_at FROM meta.ingestions WHERE ingestion_no = $1 FOR UPDATE`,
      [ingestionNo],
    );
    const r = rows[0];
    return r
      ? { ingestionId: r.ingestion_id, state: r.state, validRows: Number(r.silver_rows), retractedAt: r.retracted_at }
      : null;
  }

  /** The segments that hold the ingestion's rows, found through its chunks' markers (merges move them along). */
  async heldSegments(client: pg.ClientBase, ingestionNo: number): Promise<HeldSegment[]> {
    const { rows } = await client.query<{
      segment_no: number;
      rows: string;
      valid_rows: string;
      own_rows: string;
      own_valid_rows: string;
    }>(
      `SELECT s.segment_no, s.rows, s.valid_rows,
              sum(c.valid_rows + c.rejected_rows) AS own_rows, sum(c.valid_rows) AS own_valid_rows
         FROM meta.silver_chunks c
         JOIN meta.segments s ON s.segment_no = c.segment_no AND s.attached
        WHERE c.ingestion_no = $1
        GROUP BY s.segment_no
        ORDER BY s.segment_no`,
      [ingestionNo],
    );
    return rows.map((r) => ({
      segmentNo: r.segment_no,
      rows: Number(r.rows),
      validRows: Number(r.valid_rows),
      ownRows: Number(r.own_rows),
      ownValidRows: Number(r.own_valid_rows),
    }));
  }

  /**
   * Takes the ingestion's trips out of the unpartitioned gold tables, from its own rows of them
   * (gold.ingestion_region_*), without reading silver: its weekly region counts are subtracted, and each
   * region whose latest trip may have been one of its gets the latest of the other completed
   * ingestions' latest trips there. Then its rows there go.
   */
  async retractRegionGold(client: pg.ClientBase, ingestionNo: number): Promise<void> {
    await client.query(
      `WITH own AS (
         SELECT region_id, week_start, datasource_id, sum(trips) AS trips
           FROM gold.ingestion_region_counts
          WHERE ingestion_no = $1
          GROUP BY 1, 2, 3
          ORDER BY 1, 2, 3
       )
       UPDATE gold.weekly_region_counts w SET trips = w.trips - own.trips
         FROM own
        WHERE w.region_id = own.region_id AND w.week_start = own.week_start AND w.datasource_id = own.datasource_id`,
      [ingestionNo],
    );
    // A second statement: the rows the UPDATE changed are not visible to another part of its own.
    await client.query('DELETE FROM gold.weekly_region_counts WHERE trips = 0');
    // Regions whose latest trip is not later than the ingestion's latest there: it may have been one of its.
    const { rows } = await client.query<{ region_id: number }>(
      `SELECT l.region_id
         FROM (SELECT region_id, max(occurred_at) AS occurred_at FROM gold.ingestion_region_latest
                WHERE ingestion_no = $1 GROUP BY region_id) own
         JOIN gold.region_latest l ON l.region_id = own.region_id AND l.occurred_at <= own.occurred_at`,
      [ingestionNo],
    );
    await client.query('DELETE FROM gold.ingestion_region_counts WHERE ingestion_no = $1', [ingestionNo]);
    await client.query('DELETE FROM gold.ingestion_region_latest WHERE ingestion_no = $1', [ingestionNo]);
    const regions = rows.map((r) => r.region_id);
    if (regions.length === 0) return;
    await client.query('DELETE FROM gold.region_latest WHERE region_id = ANY($1::integer[])', [regions]);
    await client.query(
      `INSERT INTO gold.region_latest (region_id, occurred_at, datasource_id)
       SELECT DISTINCT ON (p.region_id) p.region_id, p.occurred_at, p.datasource_id
         FROM gold.ingestion_region_latest p
         JOIN meta.ingestions i ON i.ingestion_no = p.ingestion_no AND i.state IN ('completed', 'retracting')
         JOIN silver.datasources d ON d.datasource_id = p.datasource_id
        WHERE p.region_id = ANY($1::integer[])
        ORDER BY p.region_id, p.occurred_at DESC, d.name`,
      [regions],
    );
  }

  /** Records segment `n`, rebuilt from `from` without the ingestion's rows, and moves the other chunks' markers to it. */
  async recordRebuilt(client: pg.ClientBase, ingestionNo: number, n: number, from: HeldSegment, buildMs: number) {
    await client.query(
      `INSERT INTO meta.segments (segment_no, ingestion_no, chunks, rows, valid_rows, build_ms, merged_from, attached,
                                  min_lon, min_lat, max_lon, max_lat)
       SELECT $1, NULL, (SELECT count(*) FROM meta.silver_chunks WHERE segment_no = $2 AND ingestion_no <> $3),
              $4, $5, $6, ARRAY[$2::int], true,
              -- the source's extent: it holds the rebuilt segment's (fewer) trips
              s.min_lon, s.min_lat, s.max_lon, s.max_lat
         FROM meta.segments s WHERE s.segment_no = $2`,
      [
        n,
        from.segmentNo,
        ingestionNo,
        from.rows - from.ownRows,
        from.validRows - from.ownValidRows,
        Math.round(buildMs),
      ],
    );
    await client.query('UPDATE meta.silver_chunks SET segment_no = $1 WHERE segment_no = $2 AND ingestion_no <> $3', [
      n,
      from.segmentNo,
      ingestionNo,
    ]);
  }

  async forgetSegments(client: pg.ClientBase, segments: readonly number[]): Promise<void> {
    await client.query('DELETE FROM meta.segments WHERE segment_no = ANY($1::int[])', [segments]);
  }

  /** The ingestion is retracted: returns the time. */
  async markRetracted(client: pg.ClientBase, ingestionNo: number): Promise<Date> {
    const { rows } = await client.query<{ retracted_at: Date }>(
      `UPDATE meta.ingestions SET state = 'retracted', retracted_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE ingestion_no = $1 RETURNING retracted_at`,
      [ingestionNo],
    );
    return rows[0].retracted_at;
  }
}
