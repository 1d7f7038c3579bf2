import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, type Env } from '#config';
import {
  makeEvent,
  type BronzeChunkLoadedV1,
  type BronzeCompletedWorkV1,
  type IngestionEvent,
  type IngestionEventType,
} from '#contracts';
import { PG_POOL, withTransaction } from '#db';
import { PermanentMessageError } from '#kafka';
import { assertGridFits } from './grid.js';
import {
  TransformRepository,
  type ChunkCounts,
  type Completion,
  type GridSettings,
  type SilverCompletion,
  type SilverProgress,
} from './transform.repository.js';

/**
 * A fold of silver into gold to run after a work item's transaction: `batch` when enough rows are
 * pending (skipped if another fold of the ingestion runs), `complete` once silver is complete (waits
 * for a running fold, then completes the ingestion). `republish`: the item is a redelivery, so a
 * completion that happened before is published again.
 */
export interface GoldStep {
  ingestionNo: number;
  kind: 'batch' | 'complete';
  republish: boolean;
}

/**
 * What handling a work item did: `silverCompleted` is set when the item completed silver, or, on a
 * redelivery, when silver is complete (publish silver.completed, same id); `gold` is the fold to run
 * next with {@link TransformService.advanceGold}.
 */
interface SilverOutcome {
  silverCompleted: SilverCompletion | null;
  gold: GoldStep | null;
}

/** What handling a chunk work item did. */
export type ChunkOutcome = SilverOutcome &
  (
    | { kind: 'transformed'; ingestionId: string; counts: ChunkCounts; progress: SilverProgress }
    /** The marker existed: nothing was written to silver. */
    | { kind: 'redelivered'; ingestionId: string }
  );

/** What handling the `end` work item did. */
export interface EndOutcome extends SilverOutcome {
  ingestionId: string;
  /** false when the item was seen before (redelivery). */
  firstDelivery: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** Progress after a chunk; the id's discriminator is the number of chunks done, so a replay keeps its id. */
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

/**
 * Bronze → silver, one transaction per chunk; silver → gold in folds of many chunks. Exactly once
 * comes from the chunk marker (meta.silver_chunks), written in the same transaction as the chunk's
 * silver rows and flagged `gold_done` in the same transaction as the fold that adds them to gold.
 * Silver completion is decided under the ingestion's row lock, gold completion under its gold lock,
 * so exactly one transaction completes each.
 */
@Injectable()
export class TransformService {
  readonly grid: GridSettings;
  private readonly goldBatchRows: number;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TransformRepository) private readonly repo: TransformRepository,
    @Inject(CONFIG) env: Env,
  ) {
    assertGridFits(env.GRID_CELL_DEGREES);
    this.grid = { cellDegrees: env.GRID_CELL_DEGREES, bucketMinutes: env.TIME_BUCKET_MINUTES };
    this.goldBatchRows = env.GOLD_BATCH_ROWS;
  }

  async handleChunk(item: BronzeChunkLoadedV1): Promise<ChunkOutcome> {
    assertIngestionId(item.ingestionId);
    if (item.lastLine < item.firstLine && item.rows > 0) {
      throw new PermanentMessageError(
        'invalid_work_item',
        `chunk ${item.seq}: lastLine ${item.lastLine} < firstLine ${item.firstLine}`,
      );
    }
    const silver = await withTransaction(this.pool, async (client) => {
      // A chunk's plan is cheap; JIT compilation would cost more than it saves.
      await client.query('SET LOCAL jit = off');
      const claim = await this.repo.claimChunk(
        client,
        item.ingestionNo,
        item.ingestionId,
        item.seq,
        item.firstLine,
        item.lastLine,
      );
      const ingestionId = checkIngestion(claim.ingestionId, item);
      if (!claim.claimed) {
        return {
          kind: 'redelivered' as const,
          ingestionId,
          silverCompleted: await this.repo.silverCompletionOf(client, item.ingestionNo),
        };
      }

      await this.repo.addDictionaryEntries(client, item.ingestionNo, item.firstLine, item.lastLine);
      const counts = await this.repo.transformChunk(client, item.ingestionNo, item.firstLine, item.lastLine, this.grid);
      if (counts.validRows + counts.rejectedRows !== counts.totalRows) {
        // A valid row whose region or datasource is missing from the dictionaries: never drop it silently.
        throw new PermanentMessageError(
          'rows_unaccounted',
          `chunk ${item.seq}: ${counts.totalRows} bronze rows but ${counts.validRows} valid + ${counts.rejectedRows} rejected`,
        );
      }
      if (counts.totalRows !== item.rows) {
        throw new PermanentMessageError(
          'bronze_rows_mismatch',
          `chunk ${item.seq}: the work item announces ${item.rows} rows, bronze holds ${counts.totalRows} in lines ${item.firstLine}-${item.lastLine}`,
        );
      }
      const progress = await this.repo.recordChunk(client, item.ingestionNo, item.seq, counts);
      const silverCompleted = await this.repo.tryCompleteSilver(client, item.ingestionNo);
      return { kind: 'transformed' as const, ingestionId, counts, progress, silverCompleted };
    });

    const ingestionNo = item.ingestionNo;
    if (silver.kind === 'redelivered') {
      // A crash may have come between silver's completion and the fold that completes gold.
      return { ...silver, gold: silver.silverCompleted ? { ingestionNo, kind: 'complete', republish: true } : null };
    }
    const { progress, silverCompleted } = silver;
    const pending = progress.validRows - progress.goldRows;
    // A failed ingestion never completes silver: fold each of its late chunks, so that gold always
    // adds up to silver once no ingestion is in flight.
    const gold: GoldStep | null = silverCompleted
      ? { ingestionNo, kind: 'complete', republish: false }
      : pending >= this.goldBatchRows || progress.failed
        ? { ingestionNo, kind: 'batch', republish: false }
        : null;
    return { ...silver, gold };
  }

  /**
   * All chunks are in bronze: complete silver if every chunk was already transformed (they may all
   * have been before bronze completed; a header-only upload has none), then gold.
   */
  async handleEnd(item: BronzeCompletedWorkV1): Promise<EndOutcome> {
    assertIngestionId(item.ingestionId);
    const end = await withTransaction(this.pool, async (client) => {
      const claim = await this.repo.claimEnd(client, item.ingestionNo, item.ingestionId, item.totalChunks);
      const ingestionId = checkIngestion(claim.ingestionId, item);
      const won = await this.repo.tryCompleteSilver(client, item.ingestionNo);
      // When a chunk completed silver, that chunk publishes; only a redelivery re-publishes.
      const silverCompleted =
        won ?? (claim.claimed ? null : await this.repo.silverCompletionOf(client, item.ingestionNo));
      return { ingestionId, firstDelivery: claim.claimed, silverCompleted };
    });
    const gold: GoldStep | null = end.silverCompleted
      ? { ingestionNo: item.ingestionNo, kind: 'complete', republish: !end.firstDelivery }
      : null;
    return { ...end, gold };
  }

  /**
   * Folds the ingestion's pending silver chunks into gold, in a transaction of its own, and completes
   * the ingestion when silver is complete and nothing is left to fold. A `batch` fold is skipped when
   * another fold of the ingestion is running (the chunks it leaves wait for the next one); a
   * `complete` fold waits for it. Returns the completion to publish: when this fold completed the
   * ingestion, or with `republish` when it was complete already.
   */
  advanceGold({ ingestionNo, kind, republish }: GoldStep): Promise<Completion | null> {
    return withTransaction(this.pool, async (client) => {
      if (!(await this.repo.lockGold(client, ingestionNo, kind === 'complete'))) return null;
      await client.query('SET LOCAL jit = off');
      await this.repo.foldGold(client, ingestionNo);
      const won = await this.repo.tryCompleteGold(client, ingestionNo);
      return won ?? (republish ? await this.repo.completionOf(client, ingestionNo) : null);
    });
  }

  /** Marks the ingestion failed (stage silver); returns the ingestion.failed event to publish, if any. */
  async fail(ingestionId: string, code: string, message: string): Promise<IngestionEvent<'ingestion.failed'> | null> {
    if (!UUID.test(ingestionId)) return null;
    const id = ingestionId.toLowerCase();
    const failure = await this.repo.markFailed(this.pool, id, code, message);
    if (!failure) return null;
    // The chunks transformed so far stay in silver: fold them into gold too.
    await this.advanceGold({ ingestionNo: failure.ingestionNo, kind: 'complete', republish: false });
    return makeEvent(
      'ingestion.failed',
      id,
      { stage: 'silver', code: failure.code, message: failure.message },
      undefined,
      failure.failedAt,
    );
  }
}

function assertIngestionId(id: string): void {
  if (!UUID.test(id))
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
