import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CONFIG, type Env } from '#config';
import { LOGGER } from '#logging';
import { ConsumerRunner, KAFKA, Publisher, TopicTrimmer, groupId, topic } from '#kafka';
import { ChunksService } from './chunks.service.js';

/**
 * The bronze-loader's member of consumer group `bronze-loader` on the raw-chunk topic. Starts in the
 * background so the service boots (and reports on /health) while Kafka or PostgreSQL is down; stops
 * before the pool and the producer close, finishing and committing the chunk in flight. Chunks it
 * has committed are deleted from the topic: bronze holds them from then on.
 */
@Injectable()
export class ChunksConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: ConsumerRunner;
  private readonly trimmer: TopicTrimmer;

  constructor(
    @Inject(CONFIG) env: Env,
    @Inject(KAFKA) kafka: Kafka,
    publisher: Publisher,
    chunks: ChunksService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.runner = new ConsumerRunner(kafka, publisher, {
      groupId: groupId(env, 'bronze-loader'),
      topic: topic(env, 'rawChunks'),
      concurrency: env.BRONZE_LOADER_CONCURRENCY,
      log: logger.child({ component: 'chunks-consumer' }),
      handle: (ctx) => chunks.handle(ctx),
      onDeadLetter: (ctx, error) => chunks.onDeadLetter(ctx, error),
      exitAfterCommit: env.FAULT_EXIT_AFTER_COMMIT,
    });
    this.trimmer = new TopicTrimmer(kafka, {
      topic: topic(env, 'rawChunks'),
      groupId: groupId(env, 'bronze-loader'),
      intervalMs: env.KAFKA_RAW_TRIM_INTERVAL_MS,
      log: logger.child({ component: 'raw-chunk-trimmer' }),
    });
  }

  onApplicationBootstrap(): void {
    this.runner.startInBackground();
    this.trimmer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.trimmer.stop();
    await this.runner.stop();
  }
}
