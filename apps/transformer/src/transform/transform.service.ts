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
import { TransformRepository, type ChunkCounts, type Completion, type GridSettings, type SilverProgress } from './transform.repository.js';

/** What handling a chunk work item did, and what must be published after the commit. */
export type ChunkOutcome =
  | { kind: 'transformed'; ingestionId: string; counts: ChunkCounts; progress: SilverProgress; completion: Completion | null }
  /** The marker existed: nothing was written; `completion` is set when the ingestion is complete. */
  | { kind: 'redelivered'; ingestionId: string; completion: Completion | null };

/** What handling the `end` work item did. */
export interface EndOutcome {
  ingestionId: string;
  /** false when the item was seen before (redelivery). */
  firstDelivery: boolean;
  /** This transaction completed the ingestion. */
  completed: boolean;
  /** Set when the completion events must be (re-)published. */
  completion: Completion | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The three completion events, in order, with deterministic ids and the completion time. */
export function completionEvents(ingestionId: string, c: Completion): IngestionEvent<IngestionEventType>[] {
  const rows = c.validRows + c.rejectedRows;
  return [
    makeEvent('silver.completed', ingestionId, { validRows: c.validRows, rejectedRows: c.rejectedRows }, undefined, c.completedAt),
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
    { chunksDone: p.silverChunks, totalChunks: p.totalChunks, validRows: p.validRows, rejectedRows: p.rejectedRows, totalRows: p.totalRows },
    p.silverChunks,
  );
}

/**
 * Bronze → silver → gold, one transaction per work item. Exactly once comes from the chunk marker
 * (meta.silver_chunks) written in the same transaction as the rows; completion is decided under the
 * ingestion's row lock, so exactly one transaction completes an ingestion.
 */
@Injectable()
export class TransformService {
  readonly grid: GridSettings;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TransformRepository) private readonly repo: TransformRepository,
    @Inject(CONFIG) env: Env,
  ) {
    assertGridFits(env.GRID_CELL_DEGREES);
    this.grid = { cellDegrees: env.GRID_CELL_DEGREES, bucketMinutes: env.TIME_BUCKET_MINUTES };
  }

  async handleChunk(item: BronzeChunkLoadedV1): Promise<ChunkOutcome> {
    assertIngestionId(item.ingestionId);
    if (item.lastLine < item.firstLine && item.rows > 0) {
      throw new PermanentMessageError('invalid_work_item', `chunk ${item.seq}: lastLine ${item.lastLine} < firstLine ${item.firstLine}`);
    }
    return withTransaction(this.pool, async (client) => {
      // A chunk's plan is cheap; JIT compilation would cost more than it saves.
      await client.query('SET LOCAL jit = off');
      const claim = await this.repo.claimChunk(client, item.ingestionNo, item.ingestionId, item.seq);
      const ingestionId = checkIngestion(claim.ingestionId, item);
      if (!claim.claimed) return { kind: 'redelivered', ingestionId, completion: await this.repo.completionOf(client, item.ingestionNo) };

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
      const completion = await this.repo.tryComplete(client, item.ingestionNo);
      return { kind: 'transformed', ingestionId, counts, progress, completion };
    });
  }

  /**
   * All chunks are in bronze: complete the ingestion if every chunk was already transformed (they may
   * all have been before bronze completed; a header-only upload has none).
   */
  async handleEnd(item: BronzeCompletedWorkV1): Promise<EndOutcome> {
    assertIngestionId(item.ingestionId);
    return withTransaction(this.pool, async (client) => {
      const claim = await this.repo.claimEnd(client, item.ingestionNo, item.ingestionId, item.totalChunks);
      const ingestionId = checkIngestion(claim.ingestionId, item);
      const won = await this.repo.tryComplete(client, item.ingestionNo);
      if (won) return { ingestionId, firstDelivery: claim.claimed, completed: true, completion: won };
      // A chunk completed the ingestion and published the events; only a redelivery re-publishes.
      const completion = claim.claimed ? null : await this.repo.completionOf(client, item.ingestionNo);
      return { ingestionId, firstDelivery: claim.claimed, completed: false, completion };
    });
  }

  /** Marks the ingestion failed (stage silver); returns the ingestion.failed event to publish, if any. */
  async fail(ingestionId: string, code: string, message: string): Promise<IngestionEvent<'ingestion.failed'> | null> {
    if (!UUID.test(ingestionId)) return null;
    const id = ingestionId.toLowerCase();
    const failure = await this.repo.markFailed(this.pool, id, code, message);
    if (!failure) return null;
    return makeEvent('ingestion.failed', id, { stage: 'silver', code: failure.code, message: failure.message }, undefined, failure.failedAt);
  }
}

function assertIngestionId(id: string): void {
  if (!UUID.test(id)) throw new PermanentMessageError('invalid_work_item', `ingestionId ${JSON.stringify(id)} is not a UUID`);
}

/** The ingestion's id as stored, after checking the work item names the ingestion its number is. */
function checkIngestion(found: string | null, item: { ingestionNo: number; ingestionId: string }): string {
  if (found === null) {
    throw new PermanentMessageError('unknown_ingestion', `no ingestion number ${item.ingestionNo}`);
  }
  if (found.toLowerCase() !== item.ingestionId.toLowerCase()) {
    throw new PermanentMessageError('ingestion_mismatch', `ingestion number ${item.ingestionNo} is ${found}, not ${item.ingestionId}`);
  }
  return found;
}
