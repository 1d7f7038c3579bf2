import { Inject, Injectable } from '@nestjs/common';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import { CONFIG, type Env } from '#config';
import {
  decodeRawChunkHeaders,
  makeEvent,
  type BronzeChunkLoadedV1,
  type BronzeCompletedWorkV1,
  type IngestionEvent,
  type RawChunkV1,
  type RawMessageV1,
  type RawUploadEndV1,
  isUuid,
} from '#contracts';
import { PermanentMessageError, Publisher, Throttle, type MessageContext } from '#kafka';
import { columnIndices, recordLines, TripColumnsError } from '#csv';
import { BronzeRepository, type BronzeCounters } from './bronze.repository.js';

const CACHE_LIMIT = 10_000;

/**
 * Handles one raw-topic message: a chunk goes into bronze exactly once and is announced to the
 * transformer; the end marker can complete bronze. Everything published after COMMIT is derived from
 * the database, so a redelivery re-publishes the same work items and event ids.
 */
@Injectable()
export class ChunksService {
  private readonly ingestionNos = new Map<string, number>();
  private readonly progress: Throttle;

  constructor(
    @Inject(CONFIG) env: Env,
    private readonly repository: BronzeRepository,
    private readonly publisher: Publisher,
  ) {
    this.progress = new Throttle(env.PROGRESS_INTERVAL_MS);
  }

  async handle(ctx: MessageContext): Promise<void> {
    const message = decode(ctx);
    const log = ctx.log.child(
      message.kind === 'chunk'
        ? { ingestionId: message.ingestionId, seq: message.seq }
        : { ingestionId: message.ingestionId, end: true },
    );
    const ingestionNo = await this.resolveIngestion(message.ingestionId);
    if (message.kind === 'end') await this.end(message, ingestionNo, log);
    else await this.chunk(message, ctx.message.value ?? Buffer.alloc(0), ingestionNo, log);
  }

  /** After a dead letter: the ingestion can no longer complete, so it is failed, visibly. */
  async onDeadLetter(ctx: MessageContext, error: PermanentMessageError): Promise<void> {
    let ingestionId: string;
    try {
      ingestionId = decodeRawChunkHeaders(ctx.message.headers).ingestionId;
    } catch {
      return; // no ingestion to blame
    }
    if (!isUuid(ingestionId)) return;
    const failure = await this.repository.markFailed(ingestionId, error.code, error.message);
    if (!failure) return;
    await this.publisher.publishEvent(
      makeEvent('ingestion.failed', ingestionId, { stage: 'bronze', code: failure.code, message: failure.message }),
    );
    ctx.log.warn({ ingestionId, code: failure.code }, 'ingestion failed at the bronze stage');
  }

  private async chunk(message: RawChunkV1, value: Buffer, ingestionNo: number, log: Logger): Promise<void> {
    const { ingestionId, seq } = message;
    try {
      columnIndices(message.columns);
    } catch (error) {
      if (error instanceof TripColumnsError) throw new PermanentMessageError('bad_columns', error.message);
      throw error;
    }
    const started = performance.now();
    const records = recordLines(value, message.firstLine);
    const result = await this.repository.loadChunk({
      ingestionNo,
      seq,
      startLine: message.firstLine,
      records,
      data: value,
    });

    const { marker, counters } = result;
    const work: BronzeChunkLoadedV1 = { kind: 'chunk', ingestionId, ingestionNo, seq, ...marker };
    const items: Message[] = [{ key: `${ingestionId}:${seq}`, value: JSON.stringify(work) }];
    const events: IngestionEvent[] = [];
    let completed: boolean;
    if (result.status === 'loaded') {
      completed = result.completedNow;
      if (completed || this.progress.due(ingestionId)) {
        events.push(
          makeEvent(
            'bronze.progress',
            ingestionId,
            {
              chunksLoaded: counters.bronzeChunks,
              rowsLoaded: counters.bronzeRows,
              totalChunks: counters.totalChunks,
              totalRows: counters.totalRows,
            },
            counters.bronzeChunks,
          ),
        );
      }
      log.info(
        { rows: records.records, bytes: value.length, ms: Math.round(performance.now() - started), completed },
        'chunk loaded into bronze',
      );
    } else {
      // Redelivery: the first delivery may have died between COMMIT and publishing.
      completed = counters.bronzeCompleted;
      log.info({ completed }, 'chunk already loaded; re-publishing');
    }
    if (completed) {
      this.addCompletion(ingestionId, ingestionNo, counters, events, items);
      this.progress.forget(ingestionId);
    }
    await Promise.all([this.publisher.send('bronzeWork', items), this.publisher.publishEvents(events)]);
  }

  private async end(message: RawUploadEndV1, ingestionNo: number, log: Logger): Promise<void> {
    const { ingestionId } = message;
    const result = await this.repository.completeOnEnd(ingestionNo, message.totalChunks, message.totalRows);
    if (result.recordedTotalChunks !== null && result.recordedTotalChunks !== message.totalChunks) {
      log.warn(
        { recorded: result.recordedTotalChunks, announced: message.totalChunks },
        'end marker disagrees with meta.ingestions.total_chunks; using the recorded value',
      );
    }
    const { counters } = result;
    // When a chunk completed bronze, that chunk's (re)delivery publishes the completion: re-publishing it
    // here too would only duplicate it. Otherwise the end marker completed it, now or on an earlier delivery.
    if (!result.completedNow && (!counters.bronzeCompleted || result.completedByChunk)) {
      log.info(
        { chunksLoaded: counters.bronzeChunks, totalChunks: counters.totalChunks, completed: counters.bronzeCompleted },
        'end marker noted',
      );
      return;
    }
    const events: IngestionEvent[] = [];
    const items: Message[] = [];
    this.addCompletion(ingestionId, ingestionNo, counters, events, items);
    this.progress.forget(ingestionId);
    await Promise.all([this.publisher.send('bronzeWork', items), this.publisher.publishEvents(events)]);
    log.info(
      { chunks: counters.bronzeChunks, rows: counters.bronzeRows, republished: !result.completedNow },
      'bronze completed',
    );
  }

  private addCompletion(
    ingestionId: string,
    ingestionNo: number,
    counters: BronzeCounters,
    events: IngestionEvent[],
    items: Message[],
  ): void {
    events.push(
      makeEvent('bronze.completed', ingestionId, { chunks: counters.bronzeChunks, rows: counters.bronzeRows }),
    );
    const end: BronzeCompletedWorkV1 = {
      kind: 'end',
      ingestionId,
      ingestionNo,
      totalChunks: counters.totalChunks ?? counters.bronzeChunks,
    };
    items.push({ key: `${ingestionId}:end`, value: JSON.stringify(end) });
  }

  private async resolveIngestion(ingestionId: string): Promise<number> {
    const cached = this.ingestionNos.get(ingestionId);
    if (cached !== undefined) return cached;
    const found = isUuid(ingestionId) ? await this.repository.findIngestionNo(ingestionId) : undefined;
    if (found === undefined)
      throw new PermanentMessageError('unknown_ingestion', `ingestion ${ingestionId} does not exist`);
    if (this.ingestionNos.size >= CACHE_LIMIT)
      this.ingestionNos.delete(this.ingestionNos.keys().next().value as string);
    this.ingestionNos.set(ingestionId, found);
    return found;
  }
}

function decode(ctx: MessageContext): RawMessageV1 {
  try {
    return decodeRawChunkHeaders(ctx.message.headers);
  } catch (error) {
    throw new PermanentMessageError('bad_message', (error as Error).message);
  }
}
