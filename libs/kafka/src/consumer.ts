import { writeSync } from 'node:fs';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { isTransientDbError } from '#db';
import { isTransientKafkaError } from './errors.js';
import type { Publisher } from './publisher.js';

/**
 * A message that can never succeed (malformed, violates the contract): dead-letter it, do not retry.
 * `message` is public (an ingestion's status and its `ingestion.failed` event); `detail`, when set,
 * is internal and goes only to the log and the dead-letter topic.
 */
export class PermanentMessageError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/**
 * An unexpected error (a bug, a database error no retry can fix) as a dead letter: its text can name
 * tables, indexes and values, so clients get a generic message and the dead-letter topic the text.
 */
export function unexpectedError(error: unknown): PermanentMessageError {
  return new PermanentMessageError(
    'processing_error',
    'An internal error stopped the processing of this ingestion; the operators have the details',
    (error as Error | null)?.message ?? String(error),
  );
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
  /**
   * Test-only fault injection (FAULT_EXIT_AFTER_COMMIT; unset in any real deployment): once the
   * handler of the n-th message this runner consumed has resolved, the process kills itself before
   * the offset is committed. See {@link ConsumerRunner}.
   */
  exitAfterCommit?: number;
}

function isTransient(error: unknown): boolean {
  if (error instanceof PermanentMessageError) return false;
  return isTransientDbError(error) || isTransientKafkaError(error);
}

const backoff = (attempt: number) => Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));

/**
 * Runs a consumer group member. Offsets are committed only after `handle` resolves, i.e. after
 * the database commit and the downstream publish: a crash in between replays the message (tested
 * deterministically with `exitAfterCommit`).
 * Transient failures (database or Kafka unavailable, deadlocks) are retried with backoff, in place,
 * heartbeating meanwhile; permanent ones go to the dead-letter topic with the reason.
 */
export class ConsumerRunner {
  private consumer: Consumer | undefined;
  private stopping = false;
  private background: Promise<void> | undefined;
  /** Wakes backoff sleeps when stop() is called, so shutdown does not wait out a 30 s delay. */
  private wake: (() => void) | undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));
  /** Messages whose handler resolved, for `exitAfterCommit`. */
  private handled = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly publisher: Publisher,
    private readonly options: ConsumerOptions,
  ) {}

  /** Connects, subscribes and starts consuming; rejects if Kafka cannot be reached. */
  async start(): Promise<void> {
    const o = this.options;
    const consumer = this.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    // kafkajs restarts itself after retriable crashes; after any other crash the member is gone for
    // good unless we start a new one.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping || this.consumer !== consumer) return;
      o.log.error({ err: payload.error }, 'consumer crashed; starting a new group member');
      this.consumer = undefined;
      this.background = this.startWithRetry();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: o.topic, fromBeginning: o.fromBeginning ?? true });
      await consumer.run({
        autoCommit: true,
        partitionsConsumedConcurrently: o.concurrency,
        eachMessage: async (payload) => {
          const { topic, partition, message } = payload;
          const log = o.log.child({ topic, partition, offset: message.offset });
          const ctx: MessageContext = { topic, partition, message, heartbeat: () => payload.heartbeat(), log };
          await this.handleWithRetry(ctx);
        },
      });
    } catch (error) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Starts in the background and returns at once: a service must boot (and answer /health with
   * 503) while Kafka is down, then start consuming when it comes back. Retries with backoff.
   */
  startInBackground(): void {
    this.background ??= this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.start();
        if (this.stopping) await this.consumer?.disconnect();
        return;
      } catch (error) {
        if (this.stopping) return;
        const delay = backoff(attempt);
        this.options.log.warn({ err: error, attempt, delay }, 'consumer could not start, retrying');
        await this.sleep(delay);
      }
    }
  }

  private async handleWithRetry(ctx: MessageContext): Promise<void> {
    // Once a message is known to be permanent, only the dead-letter steps are retried (a dependency
    // being down must not turn into a second dead letter or a lost "ingestion failed").
    let permanent: PermanentMessageError | undefined;
    let deadLettered = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!permanent) {
          await this.options.handle(ctx);
          this.exitIfFaultDue(ctx);
          return;
        }
        if (!deadLettered) {
          try {
            await this.deadLetter(ctx, permanent);
          } catch (error) {
            if (isTransient(error)) throw error;
            // The message itself cannot be published (e.g. too large for the topic): its ingestion
            // must still be failed below, or it would wait forever.
            ctx.log.error({ err: error }, 'could not dead-letter the message; failing its ingestion anyway');
          }
          deadLettered = true;
        }
        await this.options.onDeadLetter?.(ctx, permanent);
        return;
      } catch (error) {
        if (!isTransient(error)) {
          if (permanent) {
            ctx.log.error({ err: error }, 'dead-letter hook failed; giving up on it');
            return;
          }
          if (!(error instanceof PermanentMessageError)) ctx.log.error({ err: error }, 'unexpected error');
          permanent = error instanceof PermanentMessageError ? error : unexpectedError(error);
          attempt = 0;
          continue;
        }
        if (this.stopping) throw error; // leave the offset uncommitted; another member replays it
        const delay = backoff(attempt);
        ctx.log.warn({ err: error, attempt, delay }, 'transient failure, retrying');
        const until = Date.now() + delay;
        while (Date.now() < until && !this.stopping) {
          await this.sleep(Math.min(1_000, until - Date.now()));
          await ctx.heartbeat().catch(() => undefined);
        }
        if (this.stopping) throw error;
      }
    }
  }

  /**
   * The crash exactly-once has to survive, on demand (`exitAfterCommit`): the handler's database
   * transaction has committed and its events are published, the offset is not committed yet (it is
   * only after `eachMessage` resolves). SIGKILL, like the OOM killer: no shutdown hook runs, no
   * offset is committed, the member does not leave its group, so the message is redelivered.
   */
  private exitIfFaultDue(ctx: MessageContext): void {
    const n = this.options.exitAfterCommit;
    if (n === undefined || ++this.handled !== n) return;
    // Written synchronously, in pino's format: the logger writes asynchronously, and a line still on
    // its way when the process vanishes is lost.
    const line = {
      level: 60,
      time: Date.now(),
      ...ctx.log.bindings(),
      fault: 'FAULT_EXIT_AFTER_COMMIT',
      n,
      key: ctx.message.key?.toString('utf8') ?? null,
      msg: 'injected fault: exiting after the handler committed, before the offset commit',
    };
    writeSync(2, `${JSON.stringify(line)}\n`);
    process.kill(process.pid, 'SIGKILL');
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
          'dlq-error-message': (error.detail ?? error.message).slice(0, 2000),
        },
      },
    ]);
  }

  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), this.stopped]).finally(() =>
      clearTimeout(timer),
    );
  }

  /** Finishes the message in flight, commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A start still retrying against an unreachable broker has no message in flight, so it is not
    // awaited (kafkajs cannot abort its connect retries); it gives up as soon as it sees `stopping`.
    await this.consumer?.disconnect();
  }
}
