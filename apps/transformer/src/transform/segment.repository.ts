import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Bbox } from '#contracts';
import { binaryCopyHeader, binaryCopyTrailer, SILVER_COPY_COLUMNS, type TripReject } from '#csv';
import { sqlPath } from '#db';
import type { GoldCopy } from './gold-deltas.js';
import type { SegmentSize } from './merge-policy.js';

const { from: copyFrom, to: copyTo } = copyStreams;

/**
 * The union of the extents of a set of meta.segments rows (in a SELECT over them): unknown (NULL) if
 * any is unknown (built before migration 0021).
 */
export const UNION_OF_EXTENTS = `CASE WHEN count(*) = count(min_lon) THEN min(min_lon) END,
              CASE WHEN count(*) = count(min_lon) THEN min(min_lat) END,
              CASE WHEN count(*) = count(min_lon) THEN max(max_lon) END,
              CASE WHEN count(*) = count(min_lon) THEN max(max_lat) END`;

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

/** The tables partitioned by segment (migrations 0013, 0014): each segment has one partition of each. */
export const SEGMENTED_TABLES = [
  'silver.trips',
  'gold.weekly_origin_cells',
  'gold.weekly_destination_cells',
  'gold.weekly_od_cells',
  'gold.trip_group_parts',
] as const;
export type SegmentedTable = (typeof SEGMENTED_TABLES)[number];

/** The partition of `table` that holds segment `n`. */
export const partitionOf = (table: SegmentedTable, n: number): string => `${table}_${n}`;

/**
 * The statistics target of a new segment's ANALYZE (the default is 100): its statistics serve until a
 * merge analyzes the merged segment with the default. On a 1M-row segment's five partitions, 10
 * instead of 100 took 0.11 s instead of 0.68 s (docs/benchmarks.md, session 9).
 */
export const SEGMENT_STATISTICS_TARGET = 10;

/** How to create a partition of a segmented table and its indexes, read from the parent's definition. */
interface PartitionShape {
  /** Column definitions, e.g. `line_no bigint NOT NULL, …`. */
  columns: string;
  /** Index definitions from `USING` on, one per partitioned index of the parent. */
  indexes: string[];
}

/**
 * The SQL of building a segment (docs/architecture.md, "Write path"). Every method but
 * {@link readChunks} runs inside the build's transaction: the partitions, their indexes, gold, the
 * markers of the segment's chunks and the ingestion's counters commit together or not at all.
 *
 * A segment's partitions are created with explicit column definitions rather than `LIKE parent`,
 * which would lock the parent until commit: the only lock a build takes on a parent is the one
 * ATTACH PARTITION needs, at the very end.
 */
@Injectable()
export class SegmentRepository {
  private readonly goldSql = readFileSync(sqlPath('transform', 'gold.sql'), 'utf8');
  private readonly mergeSql = readFileSync(sqlPath('transform', 'merge.sql'), 'utf8');
  private readonly completeSql = readFileSync(sqlPath('transform', 'complete.sql'), 'utf8');
  private readonly rebuildSql = readFileSync(sqlPath('transform', 'rebuild.sql'), 'utf8');
  private shapes: Promise<Map<SegmentedTable, PartitionShape>> | undefined;

  /**
   * The ingestion's first waiting chunks, locked for this build: about `maxRows` rows (chunk sizes
   * vary little), so a backlog becomes several segments, never one larger than the transformer's
   * memory allows. Chunks another transaction holds are skipped, or with `wait` waited for and
   * taken if that transaction did not build them.
   */
  async claimWaiting(
    client: pg.ClientBase,
    ingestionNo: number,
    maxRows: number,
    locked: 'skip' | 'wait',
  ): Promise<WaitingChunk[]> {
    const { rows: avg } = await client.query<{ rows: number | null }>(
      `SELECT avg(rows)::float8 AS rows FROM meta.silver_chunks WHERE ingestion_no = $1 AND segment_no IS NULL`,
      [ingestionNo],
    );
    const limit = Math.max(1, Math.ceil(maxRows / Math.max(1, avg[0].rows ?? 1)));
    const { rows } = await client.query<{ seq: number; rows: number }>(
      `SELECT seq, rows FROM meta.silver_chunks
        WHERE ingestion_no = $1 AND segment_no IS NULL
        ORDER BY seq
        LIMIT $2
          FOR UPDATE${locked === 'skip' ? ' SKIP LOCKED' : ''}`,
      [ingestionNo, limit],
    );
    return rows;
  }

  /**
   * The raw chunks, read outside the build's transaction (bronze chunks never change once written),
   * with `COPY (SELECT …) TO STDOUT (FORMAT binary)`: a query result would bring each bytea as hex
   * text, twice its size, and decoding that cost the transformer ≈ 1.6 µs per row (CPU profile).
   */
  async readChunks(pool: pg.Pool, ingestionNo: number, seqs: readonly number[]): Promise<BronzeChunk[]> {
    const list = seqs.map((n) => String(Math.trunc(n))).join(',');
    if (list === '') return [];
    const client = await pool.connect();
    try {
      const parts: Buffer[] = [];
      const stream = client.query(
        copyTo(
          `COPY (SELECT seq, start_line, rows, data FROM bronze.chunks
                  WHERE ingestion_no = ${Math.trunc(ingestionNo)} AND seq IN (${list}) ORDER BY seq)
           TO STDOUT (FORMAT binary)`,
        ),
      );
      for await (const part of stream) parts.push(part as Buffer);
      return decodeChunkRows(Buffer.concat(parts));
    } finally {
      client.release();
    }
  }

  /**
   * Settings for the rest of a transaction that builds partitions (a segment, a merge, a rebuild):
   * `memoryMb` (SEGMENT_BUILD_MEMORY_MB) for its sorts, hashes and index builds, and no JIT, whose
   * compile time never pays off for these statements.
   */
  async tuneForBuild(client: pg.ClientBase, memoryMb: number): Promise<void> {
    const mb = Math.trunc(memoryMb);
    await client.query('SET LOCAL jit = off');
    await client.query(`SET LOCAL maintenance_work_mem = '${mb}MB'`);
    await client.query(`SET LOCAL work_mem = '${mb}MB'`);
  }

  async nextSegmentNo(client: pg.ClientBase): Promise<number> {
    const { rows } = await client.query<{ n: string }>(
      `SELECT nextval(pg_get_serial_sequence('meta.segments', 'segment_no')) AS n`,
    );
    return Number(rows[0].n);
  }

  /** Creates segment `n`'s (empty, unattached, unindexed) partition of each segmented table. */
  async createPartitions(client: pg.ClientBase, n: number): Promise<void> {
    const shapes = await this.shapesOf(client);
    for (const table of SEGMENTED_TABLES) {
      const name = partitionOf(table, n);
      const { columns } = shapes.get(table)!;
      await client.query(
        `CREATE TABLE ${name} (${columns}, CONSTRAINT ${name.split('.')[1]}_segment CHECK (segment_no = ${n}))`,
      );
    }
  }

  /**
   * COPYs the encoded rows into the segment's silver partition. FREEZE: the table was created in this
   * transaction, so its rows are written frozen and all-visible, and index-only scans never visit
   * its heap.
   */
  async copySilver(client: pg.ClientBase, n: number, rows: AsyncIterable<Buffer>): Promise<void> {
    await binaryCopyIn(client, partitionOf('silver.trips', n), SILVER_COPY_COLUMNS, rows);
  }

  async copyRejects(client: pg.ClientBase, ingestionNo: number, rejects: readonly TripReject[]): Promise<void> {
    if (rejects.length === 0) return;
    const lines = rejects.map((r) => {
      const f = r.fields;
      const values = [r.reason, f?.region, f?.origin_coord, f?.destination_coord, f?.datetime, f?.datasource, r.raw];
      return `${ingestionNo},${r.line},${values.map(csvValue).join(',')}\n`;
    });
    await copyIn(
      client,
      `COPY silver.rejects (ingestion_no, line_no, reason, region, origin_coord, destination_coord, datetime, datasource, raw_record)
       FROM STDIN WITH (FORMAT csv)`,
      [Buffer.from(lines.join(''))],
    );
  }

  /** Builds the indexes of one of the segment's partitions, once, over all its rows. */
  async buildIndexes(client: pg.ClientBase, table: SegmentedTable, n: number): Promise<void> {
    const { indexes } = (await this.shapesOf(client)).get(table)!;
    for (const index of indexes) await client.query(`CREATE INDEX ON ${partitionOf(table, n)} ${index}`);
  }

  /** COPYs one gold table's aggregated rows (binary, FREEZE) into segment `n`'s partition of it. */
  async copyGold(client: pg.ClientBase, n: number, gold: GoldCopy): Promise<void> {
    await binaryCopyIn(client, partitionOf(`gold.${gold.table}`, n), gold.columns, gold.pieces(n));
  }

  /**
   * Writes the segment's share of the unpartitioned gold tables (sql/transform/gold.sql) to
   * gold.ingestion_region_*, folded in when its ingestion completes ({@link attachIngestion}).
   */
  async stageGold(client: pg.ClientBase, n: number, ingestionNo: number): Promise<void> {
    await client.query(segmentSql(this.goldSql, n).replaceAll(':ingestion_no', String(Math.trunc(ingestionNo))));
  }

  /**
   * Makes the segment's partitions part of their tables. The CHECK constraints spare PostgreSQL a
   * scan to prove the partition bounds, and the indexes built above become partitions of the
   * parents' indexes. Each ATTACH takes a SHARE UPDATE EXCLUSIVE lock on its parent until commit
   * (queries go on; another attach waits), always in SEGMENTED_TABLES order, so attaches queue
   * rather than deadlock.
   */
  async attach(client: pg.ClientBase, n: number): Promise<void> {
    for (const table of SEGMENTED_TABLES) {
      await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${partitionOf(table, n)} FOR VALUES IN (${n})`);
    }
  }

  /**
   * Planner statistics of the segment's partitions now rather than at autovacuum's leisure: queries
   * right after the ingestion completes plan with them. Runs on the detached tables, while the
   * segment is built, so completing a large ingestion does not analyze all its segments at once. With
   * a tenth of the default sample ({@link SEGMENT_STATISTICS_TARGET}): a merge analyzes its segment
   * again with the default.
   */
  async analyze(client: pg.ClientBase, n: number): Promise<void> {
    await client.query(`SET LOCAL default_statistics_target = ${SEGMENT_STATISTICS_TARGET}`);
    await client.query(`ANALYZE ${SEGMENTED_TABLES.map((t) => partitionOf(t, n)).join(', ')}`);
    await client.query('SET LOCAL default_statistics_target TO DEFAULT');
  }

  /**
   * Only completed ingestions count (docs/architecture.md, "What counts"): in the transaction that
   * completes the ingestion, attaches every segment it built and folds its share of the
   * unpartitioned gold tables in (sql/transform/complete.sql). Returns the segments attached.
   */
  async attachIngestion(client: pg.ClientBase, ingestionNo: number): Promise<number[]> {
    const { rows } = await client.query<{ segment_no: number }>(
      `UPDATE meta.segments SET attached = true WHERE ingestion_no = $1 AND NOT attached RETURNING segment_no`,
      [ingestionNo],
    );
    const attached = rows.map((r) => r.segment_no).sort((a, b) => a - b);
    for (const n of attached) await this.attach(client, n);
    await client.query(this.completeSql.replaceAll(':ingestion_no', String(Math.trunc(ingestionNo))));
    return attached;
  }

  /**
   * Drops the detached segments and region gold rows of failed ingestions: they never counted, and no build
   * adds to a failed ingestion. Returns the segments dropped. Only committed segments are listed,
   * so a build still running for the ingestion is left alone (the next sweep gets its segment).
   */
  async discardFailed(client: pg.ClientBase): Promise<number[]> {
    const { rows } = await client.query<{ segment_no: number; ingestion_no: number }>(
      `DELETE FROM meta.segments s
        USING meta.ingestions i
        WHERE i.ingestion_no = s.ingestion_no AND i.state = 'failed' AND NOT s.attached
       RETURNING s.segment_no, s.ingestion_no`,
    );
    for (const { segment_no: n } of rows) {
      for (const table of SEGMENTED_TABLES) await client.query(`DROP TABLE IF EXISTS ${partitionOf(table, n)}`);
    }
    await client.query(
      `DELETE FROM gold.ingestion_region_counts p USING meta.ingestions i
        WHERE i.ingestion_no = p.ingestion_no AND i.state = 'failed'`,
    );
    await client.query(
      `DELETE FROM gold.ingestion_region_latest p USING meta.ingestions i
        WHERE i.ingestion_no = p.ingestion_no AND i.state = 'failed'`,
    );
    return rows.map((r) => r.segment_no);
  }

  /** Completes the markers of the segment's chunks and records the segment (detached until its ingestion completes). */
  async recordSegment(
    client: pg.ClientBase,
    ingestionNo: number,
    n: number,
    chunks: readonly SegmentChunk[],
    extent: Bbox,
    buildMs: number,
  ): Promise<void> {
    await client.query(
      `UPDATE meta.silver_chunks c
          SET segment_no = $2, valid_rows = u.valid_rows, rejected_rows = u.rejected_rows, gold_done = true, done_at = now()
         FROM unnest($3::int[], $4::int[], $5::int[]) AS u (seq, valid_rows, rejected_rows)
        WHERE c.ingestion_no = $1 AND c.seq = u.seq`,
      [ingestionNo, n, chunks.map((c) => c.seq), chunks.map((c) => c.validRows), chunks.map((c) => c.rejectedRows)],
    );
    const valid = chunks.reduce((s, c) => s + c.validRows, 0);
    const rows = chunks.reduce((s, c) => s + c.validRows + c.rejectedRows, 0);
    await client.query(
      `INSERT INTO meta.segments (segment_no, ingestion_no, chunks, rows, valid_rows, build_ms, attached,
                                  min_lon, min_lat, max_lon, max_lat)
       VALUES ($1, $2, $3, $4, $5, $6, false, $7, $8, $9, $10)`,
      [
        n,
        ingestionNo,
        chunks.length,
        rows,
        valid,
        Math.round(buildMs),
        extent.minLon,
        extent.minLat,
        extent.maxLon,
        extent.maxLat,
      ],
    );
  }

  /** Every attached segment, built or merged (not segment 0, the rows from before migration 0013). */
  async listSegments(db: pg.Pool | pg.ClientBase): Promise<SegmentSize[]> {
    const { rows } = await db.query<{ segment_no: number; rows: string }>(
      'SELECT segment_no, valid_rows AS rows FROM meta.segments WHERE attached ORDER BY segment_no',
    );
    return rows.map((r) => ({ segmentNo: r.segment_no, rows: Number(r.rows) }));
  }

  /** Copies the rows of segments `sources` into segment `n`'s partitions (sql/transform/merge.sql). */
  async fillMerged(client: pg.ClientBase, n: number, sources: readonly number[]): Promise<void> {
    await client.query(segmentSql(this.mergeSql, n).replaceAll(':sources', sources.map(Number).join(', ')));
  }

  /**
   * Fills segment `n`'s partitions with segment `source`'s rows except the ingestion's, and gold
   * aggregated from them (sql/transform/rebuild.sql).
   */
  async fillRebuilt(client: pg.ClientBase, n: number, source: number, ingestionNo: number): Promise<void> {
    await client.query(
      segmentSql(this.rebuildSql, n)
        .replaceAll(':source', String(Math.trunc(source)))
        .replaceAll(':ingestion_no', String(Math.trunc(ingestionNo))),
    );
  }

  /**
   * Drops the merged segments' partitions. DROP takes an ACCESS EXCLUSIVE lock on each parent until
   * commit, so it comes last: queries wait at most for the rest of this transaction, which is short.
   */
  async dropSegments(client: pg.ClientBase, sources: readonly number[]): Promise<void> {
    for (const n of sources) {
      for (const table of SEGMENTED_TABLES) await client.query(`DROP TABLE ${partitionOf(table, n)}`);
    }
  }

  /** Records the merged segment in place of its sources. */
  async recordMerge(client: pg.ClientBase, n: number, sources: readonly number[], buildMs: number): Promise<number> {
    const { rows } = await client.query<{ rows: string }>(
      `WITH gone AS (DELETE FROM meta.segments WHERE segment_no = ANY($2::int[])
                     RETURNING chunks, rows, valid_rows, min_lon, min_lat, max_lon, max_lat)
       INSERT INTO meta.segments (segment_no, ingestion_no, chunks, rows, valid_rows, build_ms, merged_from,
                                  min_lon, min_lat, max_lon, max_lat)
       SELECT $1, NULL, sum(chunks), sum(rows), sum(valid_rows), $3, $2::int[],
              ${UNION_OF_EXTENTS}
         FROM gone
       RETURNING valid_rows AS rows`,
      [n, sources, Math.round(buildMs)],
    );
    // The chunks' markers follow their rows: a retraction finds an ingestion's segments through them.
    await client.query('UPDATE meta.silver_chunks SET segment_no = $1 WHERE segment_no = ANY($2::int[])', [n, sources]);
    return Number(rows[0].rows);
  }

  /**
   * Sets the visibility map of segment `n`'s partitions that were filled by INSERT rather than
   * COPY FREEZE (gold always, silver after a merge), so index-only scans skip their heaps; and
   * refreshes their statistics. Outside any transaction (VACUUM cannot run in one).
   */
  async vacuum(db: pg.Pool, n: number, tables: readonly SegmentedTable[]): Promise<void> {
    await db.query(`VACUUM (ANALYZE) ${tables.map((t) => partitionOf(t, n)).join(', ')}`);
  }

  /** Column and index definitions of every segmented table, read once from the catalog. */
  private shapesOf(db: pg.ClientBase): Promise<Map<SegmentedTable, PartitionShape>> {
    this.shapes ??= readShapes(db).catch((error: unknown) => {
      this.shapes = undefined;
      throw error;
    });
    return this.shapes;
  }
}

async function readShapes(db: pg.ClientBase): Promise<Map<SegmentedTable, PartitionShape>> {
  const shapes = new Map<SegmentedTable, PartitionShape>();
  for (const table of SEGMENTED_TABLES) {
    const { rows: columns } = await db.query<{ ddl: string }>(
      `SELECT string_agg(format('%I %s%s', attname, format_type(atttypid, atttypmod), CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END),
                         ', ' ORDER BY attnum) AS ddl
         FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [table],
    );
    const { rows: indexes } = await db.query<{ def: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = $1::regclass ORDER BY indexrelid`,
      [table],
    );
    shapes.set(table, {
      columns: columns[0].ddl,
      indexes: indexes.map((i) => fullPages(i.def.slice(i.def.indexOf(' USING ')))),
    });
  }
  return shapes;
}

/**
 * A partition's index definition (`USING btree (…) [INCLUDE (…)] [WHERE …]`, as read from the
 * parent) with its leaf pages filled: a segment's partitions are written once and never updated, so
 * btree's default fillfactor of 90 would only leave every leaf page a tenth empty (≈ 25 bytes per
 * trip over silver and gold at 1M rows; docs/benchmarks.md, session 9). A partitioned parent's
 * index cannot carry the option itself.
 */
export function fullPages(definition: string): string {
  if (/ WITH \(/.test(definition)) return definition;
  const where = definition.indexOf(' WHERE ');
  return where < 0
    ? `${definition} WITH (fillfactor = 100)`
    : `${definition.slice(0, where)} WITH (fillfactor = 100)${definition.slice(where)}`;
}

/** A sql/transform file for segment `n`: its silver table, its partitions' names, its number. */
function segmentSql(sql: string, n: number): string {
  return sql
    .replaceAll('silver.segment', partitionOf('silver.trips', n))
    .replaceAll('_segment ', `_${n} `)
    .replaceAll(':segment_no', String(n));
}

/**
 * The tuples of a binary COPY of (seq int4, start_line int8, rows int4, data bytea): after the
 * 19-byte header, each tuple is a field count and, per field, a length and the value's bytes.
 */
export function decodeChunkRows(buf: Buffer): BronzeChunk[] {
  const chunks: BronzeChunk[] = [];
  let p = 19;
  for (;;) {
    const fields = buf.readInt16BE(p);
    p += 2;
    if (fields === -1) return chunks;
    if (fields !== 4) throw new Error(`bronze chunk row with ${fields} fields`);
    const seq = buf.readInt32BE(p + 4);
    p += 8;
    const startLine = Number(buf.readBigInt64BE(p + 4));
    p += 12;
    const rows = buf.readInt32BE(p + 4);
    p += 8;
    const length = buf.readInt32BE(p);
    const data = buf.subarray(p + 4, p + 4 + length);
    p += 4 + length;
    chunks.push({ seq, startLine, rows, data });
  }
}

/** Streams `data` into `COPY … FROM STDIN` on the client. */
async function copyIn(
  client: pg.ClientBase,
  sql: string,
  data: Iterable<Buffer> | AsyncIterable<Buffer>,
): Promise<void> {
  await pipeline(Readable.from(data), client.query(copyFrom(sql)));
}

/**
 * Binary COPY of encoded tuples (libs/csv/src/silver-copy.ts) into a partition created in this
 * transaction, framed with the format's header and trailer; FREEZE writes the rows frozen and
 * all-visible.
 */
async function binaryCopyIn(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  tuples: Iterable<Buffer> | AsyncIterable<Buffer>,
): Promise<void> {
  async function* framed() {
    yield binaryCopyHeader();
    yield* tuples;
    yield binaryCopyTrailer();
  }
  await copyIn(client, `COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT binary, FREEZE)`, framed());
}

/** A CSV field for COPY: unquoted empty is NULL, anything else quoted (so '' stays an empty string). */
function csvValue(v: string | null | undefined): string {
  return v === null || v === undefined ? '' : `"${v.replaceAll('"', '""')}"`;
}
