import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, type Env } from '#config';
import {
  assertGridFits,
  type Bbox,
  makeEvent,
  type BronzeChunkLoadedV1,
  type BronzeCompletedWorkV1,
  type Grid,
  type IngestionEvent,
  type IngestionEventType,
  isUuid,
} from '#contracts';
import { encodeSilverRows, parseTrips, type TripReject } from '#csv';
import { PG_POOL, withTransaction } from '#db';
import { PermanentMessageError } from '#kafka';
import { Dictionaries } from './dictionaries.js';
import { Extent } from './extent.js';
import { FIRST_GOLD_SHAPE, GoldDeltas, type GoldShape } from './gold-deltas.js';
import { SEGMENTED_TABLES, SegmentRepository, type SegmentChunk, type WaitingChunk } from './segment.repository.js';
import {
  TransformRepository,
  type Completion,
  type SilverCompletion,
  type SilverProgress,
} from './transform.repository.js';

/** What handling a work item led to: the events to publish once it is committed, in order. */
export interface WorkOutcome {
  ingestionId: string;
  /** false when the item was seen before (a redelivery). */
  firstDelivery: boolean;
  /** The segment this item's handler built, if any. */
  built: BuiltSegment | null;
  /** Every event the item led to, in order; each was handed to `publish` right after the commit that produced it. */
  events: IngestionEvent<IngestionEventType>[];
}

/** Publishes events a committed transaction produced (the consumer's Kafka publisher; tests may collect them). */
export type PublishEvents = (events: IngestionEvent<IngestionEventType>[]) => Promise<void>;

const publishNothing: PublishEvents = () => Promise.resolve();

/** A segment a work item built, with the milliseconds of each step of its transaction. */
export interface BuiltSegment {
  segmentNo: number;
  chunks: number;
  rows: number;
  ms: number;
  steps: SegmentSteps;
}

/** Milliseconds per step of a segment build: parse, gold aggregation and COPY overlap (the rows stream into COPY). */
export interface SegmentSteps {
  copy: number;
  rejects: number;
  /** silver's indexes */
  indexes: number;
  /** the gold partitions (aggregated in the transformer while silver streams in) and their indexes */
  goldCells: number;
  /** the segment's share of the unpartitioned gold tables (gold.ingestion_region_*), folded in when its ingestion completes */
  gold: number;
  /** planner statistics of the segment's partitions */
  analyze: number;
}

/** Key of the advisory lock every segment build holds (shared) for its transaction. */
export const SEGMENT_BUILD_LOCK = 0x6275696c; // 'buil'

/** Chunks read from bronze at a time while a segment is built (each up to UPLOAD_CHUNK_BYTES). */
const READ_BATCH = 8;

/** silver.completed, with its deterministic id and the time silver completed. */
export function silverCompletedEvent(ingestionId: string, c: SilverCompletion): IngestionEvent<'silver.completed'> {
  return makeEvent(
    'silver.completed',
    ingestionId,
    { validRows: c.validRows, rejectedRows: c.rejectedRows },
    undefined,
    c.completedAt,
  );
}

/** gold.completed and ingestion.completed, in order, with deterministic ids and the completion time. */
export function completionEvents(ingestionId: string, c: Completion): IngestionEvent<IngestionEventType>[] {
  const rows = c.validRows + c.rejectedRows;
  return [
    makeEvent('gold.completed', ingestionId, { trips: c.validRows }, undefined, c.completedAt),
    makeEvent(
      'ingestion.completed',
      ingestionId,
      { rows, validRows: c.validRows, rejectedRows: c.rejectedRows, durationMs: c.durationMs },
      undefined,
      c.completedAt,
    ),
  ];
}

/** Progress after a segment; the id's discriminator is the number of chunks done, so a replay keeps its id. */
export function progressEvent(p: SilverProgress): IngestionEvent<'silver.progress'> {
  return makeEvent(
    'silver.progress',
    p.ingestionId,
    {
      chunksDone: p.silverChunks,
      totalChunks: p.totalChunks,
      validRows: p.validRows,
      rejectedRows: p.rejectedRows,
      totalRows: p.totalRows,
    },
    p.silverChunks,
  );
}

/** A build of fewer trips says too little about the next one's gold to size it by. */
const SHAPE_MIN_TRIPS = 50_000;

/**
 * Bronze → silver and gold in segments (docs/architecture.md, "Write path"). A chunk's work item
 * only records the chunk as waiting (its marker in meta.silver_chunks); once SEGMENT_ROWS rows wait,
 * or every chunk of a complete bronze layer has arrived, one transaction builds a segment from the
 * waiting chunks: it parses their raw bytes from bronze, COPYs the typed rows into a new table,
 * builds its indexes once, builds its gold and completes the chunks' markers. Exactly once comes
 * from the markers: a chunk is in the one segment whose transaction completed its marker. The last
 * build to commit completes the ingestion, under its row lock, and only then attaches the
 * ingestion's segments to silver.trips and the gold tables: only completed ingestions count.
 */
@Injectable()
export class TransformService {
  readonly grid: Grid;
  private readonly segmentRows: number;
  private readonly segmentMaxRows: number;
  private readonly buildMemoryMb: number;
  /** Gold entries per trip of the last sizeable build: sizes the next build's tables. */
  private goldShape: GoldShape = FIRST_GOLD_SHAPE;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TransformRepository) private readonly repo: TransformRepository,
    @Inject(SegmentRepository) private readonly segments: SegmentRepository,
    @Inject(Dictionaries) private readonly dictionaries: Dictionaries,
    @Inject(CONFIG) env: Env,
  ) {
    assertGridFits(env.GRID_CELL_DEGREES);
    this.grid = { cellDegrees: env.GRID_CELL_DEGREES, bucketMinutes: env.TIME_BUCKET_MINUTES };
    this.segmentRows = env.SEGMENT_ROWS;
    this.segmentMaxRows = Math.max(env.SEGMENT_ROWS, env.SEGMENT_MAX_ROWS);
    this.buildMemoryMb = env.SEGMENT_BUILD_MEMORY_MB;
  }

  async handleChunk(item: BronzeChunkLoadedV1, publish: PublishEvents = publishNothing): Promise<WorkOutcome> {
    assertIngestionId(item.ingestionId);
    if (item.lastLine < item.firstLine && item.rows > 0) {
      throw new PermanentMessageError(
        'invalid_work_item',
        `chunk ${item.seq}: lastLine ${item.lastLine} < firstLine ${item.firstLine}`,
      );
    }
    const claim = await withTransaction(this.pool, (client) =>
      this.repo.claimChunk(client, item.ingestionNo, item.ingestionId, item),
    );
    const ingestionId = checkIngestion(claim.ingestionId, item);
    // A redelivery builds too: its first delivery may have died in the middle of a build.
    const due = this.segmentDue(claim) || claim.allArrived;
    return this.advance(ingestionId, item.ingestionNo, claim.claimed, due, publish);
  }

  /** All chunks are in bronze: build the last segment (or complete an ingestion that has no chunk). */
  async handleEnd(item: BronzeCompletedWorkV1, publish: PublishEvents = publishNothing): Promise<WorkOutcome> {
    assertIngestionId(item.ingestionId);
    const end = await withTransaction(this.pool, (client) =>
      this.repo.claimEnd(client, item.ingestionNo, item.ingestionId, item.totalChunks),
    );
    const ingestionId = checkIngestion(end.ingestionId, item);
    return this.advance(ingestionId, item.ingestionNo, end.claimed, true, publish);
  }

  /**
   * Rows to wait for before building an ingestion's next segment: as many as it already has in
   * silver, between SEGMENT_ROWS and SEGMENT_MAX_ROWS. Segments double in size while a large upload
   * goes on, so it ends in few partitions (fewer merges), and a small upload still gets its first
   * segment while the rest is arriving.
   */
  private segmentTarget(builtRows: number): number {
    return Math.min(this.segmentMaxRows, Math.max(this.segmentRows, builtRows));
  }

  /** Whether the ingestion's waiting rows make a segment: enough of them, or the last of its chunks. */
  private segmentDue(i: { waitingRows: number; builtRows: number; allArrived: boolean }): boolean {
    return i.waitingRows > 0 && (i.waitingRows >= this.segmentTarget(i.builtRows) || i.allArrived);
  }

  /** Marks the ingestion failed (stage silver); returns the ingestion.failed event to publish, if any. */
  async fail(ingestionId: string, code: string, message: string): Promise<IngestionEvent<'ingestion.failed'> | null> {
    if (!isUuid(ingestionId)) return null;
    const id = ingestionId.toLowerCase();
    const failure = await this.repo.markFailed(this.pool, id, code, message);
    if (!failure) return null;
    // Chunks still waiting stay out of silver and gold: a failed ingestion builds no more segments.
    return makeEvent(
      'ingestion.failed',
      id,
      { stage: 'silver', code: failure.code, message: failure.message },
      undefined,
      failure.failedAt,
    );
  }

  /**
   * Builds a segment when one is due, and publishes what each build's commit produced before the
   * next build starts (live events must not wait for a backlog's later segments); a redelivered item
   * that finds nothing to do re-publishes the completion (same event ids), which its first delivery
   * may have committed without publishing.
   */
  private async advance(
    ingestionId: string,
    ingestionNo: number,
    firstDelivery: boolean,
    due: boolean,
    publish: PublishEvents,
  ): Promise<WorkOutcome> {
    const events: IngestionEvent<IngestionEventType>[] = [];
    const emit = async (batch: IngestionEvent<IngestionEventType>[]) => {
      if (batch.length === 0) return;
      events.push(...batch);
      await publish(batch);
    };
    let built: BuiltSegment | null = null;
    let completed = false;
    // A backlog (chunks that arrived while the transformer was busy or down) is built in segments of
    // at most SEGMENT_MAX_ROWS, one transaction each, until no segment is due.
    for (let again = due; again;) {
      const result = await this.build(ingestionNo, performance.now());
      const batch: IngestionEvent<IngestionEventType>[] = [];
      if (result?.progress) batch.push(progressEvent(result.progress));
      if (result?.completion) {
        const c = result.completion;
        batch.push(silverCompletedEvent(ingestionId, c), ...completionEvents(ingestionId, c));
        completed = true;
      }
      await emit(batch);
      built = result?.built ?? built;
      again = result?.moreDue === true;
    }
    if (!completed && !firstDelivery) {
      const c = await this.repo.completionOf(this.pool, ingestionNo);
      if (c) await emit([silverCompletedEvent(ingestionId, c), ...completionEvents(ingestionId, c)]);
    }
    return { ingestionId, firstDelivery, built, events };
  }

  /**
   * One transaction: claims the waiting chunks no other build holds, builds them into a segment if
   * enough rows wait (or every chunk has arrived), and completes the ingestion if nothing is left.
   */
  private build(
    ingestionNo: number,
    started: number,
  ): Promise<{
    progress: SilverProgress | null;
    completion: Completion | null;
    built: BuiltSegment | null;
    /** Another segment is due right away (the claim stopped at SEGMENT_MAX_ROWS). */
    moreDue: boolean;
  } | null> {
    return withTransaction(this.pool, async (client) => {
      // Shared: builds never wait for one another; merges look for it and wait while any is held.
      await client.query('SELECT pg_advisory_xact_lock_shared($1)', [SEGMENT_BUILD_LOCK]);
      await this.segments.tuneForBuild(client, this.buildMemoryMb);
      const ingestion = await this.repo.ingestionForBuild(client, ingestionNo);
      if (!ingestion || ingestion.failed) return null;
      // While chunks are still arriving, a build takes the waiting chunks no other build holds (SKIP
      // LOCKED) and builds them if they are enough. Once every chunk has arrived, the build waits for
      // the chunks other transactions hold instead: one that claimed them only to find too few rows
      // releases them at its commit, and skipping them would leave them waiting for a trigger that
      // never comes.
      const waiting = await this.segments.claimWaiting(
        client,
        ingestionNo,
        this.segmentMaxRows,
        ingestion.allArrived ? 'wait' : 'skip',
      );
      const rows = waiting.reduce((s, c) => s + c.rows, 0);
      let progress: SilverProgress | null = null;
      let built: BuiltSegment | null = null;
      if (waiting.length > 0 && (rows >= this.segmentTarget(ingestion.builtRows) || ingestion.allArrived)) {
        const segmentNo = await this.segments.nextSegmentNo(client);
        const { chunks, extent, steps } = await this.buildSegment(
          client,
          ingestionNo,
          segmentNo,
          ingestion.columns,
          waiting,
        );
        const valid = chunks.reduce((s, c) => s + c.validRows, 0);
        const ms = performance.now() - started;
        await this.segments.recordSegment(client, ingestionNo, segmentNo, chunks, extent, ms);
        progress = await this.repo.countSegment(client, ingestionNo, chunks.length, rows, valid);
        built = { segmentNo, chunks: chunks.length, rows, ms: Math.round(ms), steps };
      }
      let completion: Completion | null = null;
      if (await this.repo.tryComplete(client, ingestionNo)) {
        // Only completed ingestions count: their segments join silver and gold in this transaction.
        await this.segments.attachIngestion(client, ingestionNo);
        completion = await this.repo.stampCompletion(client, ingestionNo);
      }
      const after = built && !completion ? await this.repo.ingestionForBuild(client, ingestionNo) : null;
      const moreDue = after !== null && this.segmentDue(after);
      return { progress, completion, built, moreDue };
    });
  }

  /** The segment's table, rows, rejects, indexes and gold, detached until its ingestion completes. */
  private async buildSegment(
    client: pg.ClientBase,
    ingestionNo: number,
    segmentNo: number,
    columns: readonly string[],
    waiting: readonly WaitingChunk[],
  ): Promise<{ chunks: SegmentChunk[]; extent: Bbox; steps: SegmentSteps }> {
    const chunks: SegmentChunk[] = [];
    const rejects: TripReject[] = [];
    const extent = new Extent();
    const deltas = new GoldDeltas(
      waiting.reduce((n, c) => n + c.rows, 0),
      this.goldShape,
    );
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = Math.round(now - t);
      t = now;
      return ms;
    };
    await this.segments.createPartitions(client, segmentNo);
    await this.segments.copySilver(
      client,
      segmentNo,
      this.encode(ingestionNo, segmentNo, columns, waiting, chunks, rejects, deltas, extent),
    );
    const copy = lap();
    if (deltas.trips >= SHAPE_MIN_TRIPS) this.goldShape = deltas.shape();
    await this.segments.copyRejects(client, ingestionNo, rejects);
    const rejectsMs = lap();
    await this.segments.buildIndexes(client, 'silver.trips', segmentNo);
    const indexes = lap();
    for (const gold of deltas.tables()) await this.segments.copyGold(client, segmentNo, gold);
    for (const table of SEGMENTED_TABLES) {
      if (table !== 'silver.trips') await this.segments.buildIndexes(client, table, segmentNo);
    }
    const goldCells = lap();
    await this.segments.stageGold(client, segmentNo, ingestionNo);
    const gold = lap();
    await this.segments.analyze(client, segmentNo);
    const analyze = lap();
    return { chunks, extent: extent.bounds, steps: { copy, rejects: rejectsMs, indexes, goldCells, gold, analyze } };
  }

  /**
   * The binary COPY tuples of the waiting chunks' valid rows, parsed from bronze a few chunks at a
   * time (memory stays at a few chunks whatever the segment's size); fills `chunks` and `rejects`.
   */
  private async *encode(
    ingestionNo: number,
    segmentNo: number,
    columns: readonly string[],
    waiting: readonly WaitingChunk[],
    chunks: SegmentChunk[],
    rejects: TripReject[],
    deltas: GoldDeltas,
    extent: Extent,
  ): AsyncGenerator<Buffer> {
    for (let i = 0; i < waiting.length; i += READ_BATCH) {
      const batch = waiting.slice(i, i + READ_BATCH);
      const raw = await this.segments.readChunks(
        this.pool,
        ingestionNo,
        batch.map((c) => c.seq),
      );
      if (raw.length !== batch.length) {
        throw new PermanentMessageError(
          'bronze_chunk_missing',
          `ingestion ${ingestionNo}: ${batch.length - raw.length} of chunks ${batch.map((c) => c.seq).join(',')} are not in bronze`,
        );
      }
      for (const [k, chunk] of raw.entries()) {
        const parsed = parseTrips(chunk.data, chunk.startLine, columns, this.grid);
        if (parsed.records !== chunk.rows || batch[k].rows !== chunk.rows) {
          throw new PermanentMessageError(
            'bronze_rows_mismatch',
            `chunk ${chunk.seq}: the work item announces ${batch[k].rows} records, bronze ${chunk.rows}, ${parsed.records} parsed`,
          );
        }
        const [regionIds, datasourceIds] = await Promise.all([
          this.dictionaries.regionIds(this.pool, parsed.regions),
          this.dictionaries.datasourceIds(this.pool, parsed.datasources),
        ]);
        chunks.push({ seq: chunk.seq, validRows: parsed.trips.length, rejectedRows: parsed.rejects.length });
        for (const r of parsed.rejects) rejects.push(r);
        if (parsed.trips.length > 0) {
          deltas.add(parsed.trips, regionIds, datasourceIds);
          extent.add(parsed.trips);
          yield encodeSilverRows(parsed.trips, segmentNo, ingestionNo, regionIds, datasourceIds);
        }
      }
    }
  }
}

function assertIngestionId(id: string): void {
  if (!isUuid(id))
    throw new PermanentMessageError('invalid_work_item', `ingestionId ${JSON.stringify(id)} is not a UUID`);
}

/** The ingestion's id as stored, after checking the work item names the ingestion its number is. */
function checkIngestion(found: string | null, item: { ingestionNo: number; ingestionId: string }): string {
  if (found === null) {
    throw new PermanentMessageError('unknown_ingestion', `no ingestion number ${item.ingestionNo}`);
  }
  if (found.toLowerCase() !== item.ingestionId.toLowerCase()) {
    throw new PermanentMessageError(
      'ingestion_mismatch',
      `ingestion number ${item.ingestionNo} is ${found}, not ${item.ingestionId}`,
    );
  }
  return found;
}
