import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** A bronze record as the loader stores it: five text columns, or the whole record when its field count was wrong. */
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

export async function insertBronze(pool: pg.Pool, ingestionNo: number, records: BronzeRecord[]): Promise<void> {
  for (const r of records) {
    await pool.query(
      `INSERT INTO bronze.trips (ingestion_no, line_no, region, origin_coord, destination_coord, datetime, datasource, raw_record)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      r.raw !== undefined
        ? [ingestionNo, r.line, null, null, null, null, null, r.raw]
        : [
            ingestionNo,
            r.line,
            r.region ?? null,
            r.origin ?? null,
            r.destination ?? null,
            r.datetime ?? null,
            r.datasource ?? null,
            null,
          ],
    );
  }
}

/** `count` valid records from `firstLine` on, scattered around (lon, lat), on 2018 dates. */
export async function generateBronze(
  pool: pg.Pool,
  ingestionNo: number,
  firstLine: number,
  count: number,
  at: { region: string; lon: number; lat: number; datasource?: string },
): Promise<void> {
  await pool.query(
    `INSERT INTO bronze.trips (ingestion_no, line_no, region, origin_coord, destination_coord, datetime, datasource)
     SELECT $1, $2 + g, $4,
            format('POINT (%s %s)', $5::float8 + (g % 17) * 0.003, $6::float8 + (g % 13) * 0.002),
            format('POINT (%s %s)', $5::float8 - (g % 11) * 0.004, $6::float8 - (g % 7) * 0.003),
            to_char(timestamp '2018-01-01' + g * interval '7 hours 13 minutes', 'YYYY-MM-DD HH24:MI:SS'),
            $7
     FROM generate_series(0, $3 - 1) g`,
    [ingestionNo, firstLine, count, at.region, at.lon, at.lat, at.datasource ?? 'test_source'],
  );
}

/** POINT text exactly as the CSVs carry it: x = longitude, y = latitude. */
export const point = (lon: number, lat: number): string => `POINT (${lon} ${lat})`;
