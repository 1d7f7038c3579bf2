import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CONFIG, type Env } from '#config';
import { LOGGER } from '#logging';
import { isUuid, parseIngestionEvent, type IngestionEvent } from '#contracts';
import { ConsumerRunner, groupId, KAFKA, PermanentMessageError, Publisher, topic } from '#kafka';
import { EventsRepository } from './events.repository.js';

/** Decodes and validates one message of the events topic; a malformed one is dead-lettered. */
export function decodeEventMessage(value: Buffer | null): IngestionEvent {
  if (!value) throw new PermanentMessageError('invalid_event', 'event message without value');
  let event: IngestionEvent;
  try {
    event = parseIngestionEvent(JSON.parse(value.toString('utf8')));
  } catch (error) {
    throw new PermanentMessageError('invalid_event', (error as Error).message);
  }
  if (!isUuid(event.ingestionId)) throw new PermanentMessageError('invalid_event', 'event: ingestionId is not a UUID');
  if (Number.isNaN(Date.parse(event.occurredAt)))
    throw new PermanentMessageError('invalid_event', 'event: occurredAt is not a time');
  return event;
}

/**
 * Consumes the public events topic in consumer group `notifier`: all instances share the group, so
 * each event is stored by exactly one of them (twice only across a rebalance, which the store
 * dedups by eventId), and PostgreSQL NOTIFY then brings it to every instance's clients.
 *
 * Started in the background so the service boots (and /health reports why) while Kafka is down.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: ConsumerRunner;

  constructor(
    @Inject(CONFIG) env: Env,
    @Inject(KAFKA) kafka: Kafka,
    publisher: Publisher,
    private readonly events: EventsRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.runner = new ConsumerRunner(kafka, publisher, {
      groupId: groupId(env, 'notifier'),
      topic: topic(env, 'ingestionEvents'),
      concurrency: env.NOTIFIER_CONCURRENCY,
      log: logger.child({ component: 'events-consumer' }),
      handle: async ({ message, log }) => {
        const event = decodeEventMessage(message.value);
        const stored = await this.events.store(event);
        log.debug({ eventId: event.eventId, seq: stored?.event.seq, duplicate: !stored }, 'event stored');
      },
      exitAfterCommit: env.FAULT_EXIT_AFTER_COMMIT,
    });
  }

  onApplicationBootstrap(): void {
    this.runner.startInBackground();
  }

  /** Finishes the message in flight and leaves the group before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
