import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { isTransientDbError } from '#db';
import type { Publisher } from './publisher.js';

/** A message that can never succeed (malformed, violates the contract): dead-letter it, do not retry. */
export class PermanentMessageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

export interface MessageContext {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** Call during long work so the group does not consider the consumer dead. */
  heartbeat(): Promise<void>;
  log: Logger;
}

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  /** Partitions processed at once by this instance. */
  concurrency: number;
  log: Logger;
  handle(ctx: MessageContext): Promise<void>;
  /** Called after a message was dead-lettered (e.g. to mark its ingestion failed). */
  onDeadLetter?(ctx: MessageContext, error: PermanentMessageError): Promise<void>;
  fromBeginning?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isTransient(error: unknown): boolean {
  if (error instanceof PermanentMessageError) return false;
  const name = (error as { name?: string } | null)?.name ?? '';
  return isTransientDbError(error) || name.startsWith('KafkaJS');
}

/**
 * Runs a consumer group member. Offsets are committed only after `handle` resolves, i.e. after
 * the database commit and the downstream publish: a crash in between replays the message.
 * Transient failures (database or Kafka unavailable, deadlocks) are retried with backoff, in place,
 * heartbeating meanwhile; permanent ones go to the dead-letter topic with the reason.
 */
export class ConsumerRunner {
  private consumer: Consumer | undefined;
  private stopping = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly publisher: Publisher,
    private readonly options: ConsumerOptions,
  ) {}

  async start(): Promise<void> {
    const o = this.options;
    this.consumer = this.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: o.topic, fromBeginning: o.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: o.concurrency,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const log = o.log.child({ topic, partition, offset: message.offset });
        const ctx: MessageContext = { topic, partition, message, heartbeat, log };
        await this.handleWithRetry(ctx);
      },
    });
  }

  private async handleWithRetry(ctx: MessageContext): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.handle(ctx);
        return;
      } catch (error) {
        if (!isTransient(error)) {
          const permanent =
            error instanceof PermanentMessageError ? error : new PermanentMessageError('processing_error', (error as Error).message);
          await this.deadLetter(ctx, permanent);
          return;
        }
        if (this.stopping) throw error; // leave the offset uncommitted; another member replays it
        const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        ctx.log.warn({ err: error, attempt, delay }, 'transient failure, retrying');
        const until = Date.now() + delay;
        while (Date.now() < until) {
          await sleep(Math.min(1_000, until - Date.now()));
          await ctx.heartbeat().catch(() => undefined);
        }
      }
    }
  }

  private async deadLetter(ctx: MessageContext, error: PermanentMessageError): Promise<void> {
    ctx.log.error({ err: error, code: error.code }, 'dead-lettering message');
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(ctx.message.headers ?? {})) {
      if (typeof v === 'string' || Buffer.isBuffer(v)) headers[k] = v;
    }
    await this.publisher.send('deadLetter', [
      {
        key: ctx.message.key,
        value: ctx.message.value,
        headers: {
          ...headers,
          'dlq-source-topic': ctx.topic,
          'dlq-source-partition': String(ctx.partition),
          'dlq-source-offset': ctx.message.offset,
          'dlq-error-code': error.code,
          'dlq-error-message': error.message.slice(0, 2000),
        },
      },
    ]);
    await this.options.onDeadLetter?.(ctx, error);
  }

  /** Finishes the message in flight, commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
  }
}
