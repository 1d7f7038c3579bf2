import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from 'pino';
import { CONFIG, type Env } from '#config';
import { parseBronzeWork, type BronzeWorkV1, type IngestionEvent, type IngestionEventType } from '#contracts';
import { checkFixedSettings, FixedSettingsMismatch, PG_POOL } from '#db';
import { LOGGER } from '#logging';
import { ConsumerRunner, groupId, KAFKA, PermanentMessageError, Publisher, topic, type MessageContext } from '#kafka';
import { RetractionService } from './retraction.service.js';
import { SegmentMerger } from './segment-merger.js';
import { TransformService } from './transform.service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often a long work item heartbeats (the group's session timeout is 30 s). */
const HEARTBEAT_MS = 3_000;

/**
 * Consumes bronze work items (group `transformer`), one transaction per item (and per segment it
 * builds), and publishes the resulting events after each commit; the offset is committed after all.
 * Starts in the background so the service boots and answers /health while Kafka or PostgreSQL are
 * still down. Before consuming it checks the grid settings against the database's; when they differ
 * it does not consume and reports it through {@link BronzeWorkConsumer.refusal}, which the service's
 * bootstrap turns into an exit.
 */
@Injectable()
export class BronzeWorkConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private runner: ConsumerRunner | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private log!: Logger;
  private refuse!: (reason: Error) => void;
  /** Resolves, with the reason, if this transformer must not run (main.ts hands it to the bootstrap). */
  readonly refusal = new Promise<Error>((resolve) => (this.refuse = resolve));

  constructor(
    @Inject(CONFIG) private readonly env: Env,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(Publisher) private readonly publisher: Publisher,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TransformService) private readonly service: TransformService,
    @Inject(SegmentMerger) private readonly merger: SegmentMerger,
    @Inject(RetractionService) private readonly retractions: RetractionService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.log = this.logger.child({ component: 'bronze-work-consumer' });
    this.starting = this.startWithRetry();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    // While Kafka is down a connect attempt can retry for a minute: abandon it rather than wait.
    await Promise.race([this.starting, sleep(3_000)]);
    // Finishes the item in flight (its commit and publish), then leaves the group.
    await this.runner?.stop().catch((error: unknown) => this.log.warn({ err: error }, 'consumer did not stop cleanly'));
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await checkFixedSettings(this.pool, {
          grid_cell_degrees: String(this.env.GRID_CELL_DEGREES),
          time_bucket_minutes: String(this.env.TIME_BUCKET_MINUTES),
        });
        const runner = new ConsumerRunner(this.kafka, this.publisher, {
          groupId: groupId(this.env, 'transformer'),
          topic: topic(this.env, 'bronzeWork'),
          concurrency: this.env.TRANSFORMER_CONCURRENCY,
          log: this.log,
          handle: (ctx) => this.handle(ctx),
          onDeadLetter: (ctx, error) => this.onDeadLetter(ctx, error),
          exitAfterCommit: this.env.FAULT_EXIT_AFTER_COMMIT,
        });
        this.runner = runner;
        await runner.start();
        this.log.info({ topic: topic(this.env, 'bronzeWork') }, 'transformer consuming');
        return;
      } catch (error) {
        if (error instanceof FixedSettingsMismatch) {
          // Gold built with another grid would be silently incomparable with what is there.
          this.refuse(new Error(`the grid settings differ from the database's: ${error.message}`, { cause: error }));
          return;
        }
        await this.runner?.stop().catch(() => undefined);
        this.runner = undefined;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.log.warn({ err: error, attempt, delay }, 'transformer could not start consuming yet, retrying');
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          void sleep(delay).then(() => resolve());
        });
      }
    }
  }

  /**
   * The item's transaction (and the segment build it may start), then its events; the offset is
   * committed after both, so a crash anywhere replays the item, which finds its marker and resumes.
   * A build runs for seconds: heartbeats keep the group from taking the partition away meanwhile.
   */
  private async handle(ctx: MessageContext): Promise<void> {
    const item = decode(ctx);
    const log = ctx.log.child({
      ingestionId: item.ingestionId,
      ...(item.kind === 'chunk' ? { seq: item.seq } : { [item.kind]: true }),
    });
    const beat = setInterval(() => void ctx.heartbeat().catch(() => undefined), HEARTBEAT_MS);
    try {
      if (item.kind === 'retract') {
        const retraction = await this.retractions.retract(item);
        await this.publisher.publishEvents(retraction.events);
        log.info({ dropped: retraction.dropped, rebuilt: retraction.rebuilt }, 'ingestion retracted');
        return;
      }
      // Each build's events are published right after its commit (a backlog may build several segments).
      const publish = (events: IngestionEvent<IngestionEventType>[]) => this.publisher.publishEvents(events);
      const outcome =
        item.kind === 'chunk'
          ? await this.service.handleChunk(item, publish)
          : await this.service.handleEnd(item, publish);
      if (outcome.built) log.info(outcome.built, 'segment built');
      if (!outcome.firstDelivery) log.info({ events: outcome.events.length }, 'work item redelivered');
      if (outcome.events.some((e) => e.type === 'ingestion.completed')) log.info('ingestion completed');
    } finally {
      clearInterval(beat);
    }
  }

  private async onDeadLetter(ctx: MessageContext, error: PermanentMessageError): Promise<void> {
    const ingestionId = ingestionIdOf(ctx);
    if (!ingestionId) return;
    const event = await this.service.fail(ingestionId, error.code, error.message);
    if (event) await this.publisher.publishEvent(event);
    // The segments it built never count: drop them now rather than at the next sweep.
    this.merger.poke();
  }
}

function decode(ctx: MessageContext): BronzeWorkV1 {
  try {
    return parseBronzeWork(JSON.parse(ctx.message.value?.toString('utf8') ?? ''));
  } catch (error) {
    throw new PermanentMessageError('invalid_work_item', (error as Error).message);
  }
}

/** The ingestion a (possibly malformed) work item belongs to: from its value, else from its key `<id>:<seq>`. */
function ingestionIdOf(ctx: MessageContext): string | undefined {
  try {
    const id = (JSON.parse(ctx.message.value?.toString('utf8') ?? '') as { ingestionId?: unknown }).ingestionId;
    if (typeof id === 'string' && id) return id;
  } catch {
    // fall back to the key
  }
  return ctx.message.key?.toString('utf8').split(':')[0] || undefined;
}
