import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Env } from '#config';
import type { IngestionEvent, IngestionEventType, TopicKey } from '#contracts';
import { topic } from './kafka.factory.js';

/**
 * One producer per process. Not kafkajs' idempotent mode: every consumer already treats a duplicate
 * as a no-op (chunk markers, deterministic event ids), and a bounded retry lets a request fail
 * cleanly while Kafka is down instead of hanging. `publishEvent` is type-checked against the event map;
 * `send` is the raw path for internal topics.
 */
export class Publisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly env: Env,
  ) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async send(key: TopicKey, messages: Message[]): Promise<void> {
    await this.connect();
    await this.producer.send({ topic: topic(this.env, key), acks: -1, messages });
  }

  /** Publishes public events, keyed by ingestion id so one ingestion's events stay in order. */
  async publishEvents(events: IngestionEvent<IngestionEventType>[]): Promise<void> {
    if (!events.length) return;
    await this.send(
      'ingestionEvents',
      events.map((e) => ({
        key: e.ingestionId,
        value: JSON.stringify(e),
        headers: { 'event-type': e.type, 'event-id': e.eventId },
      })),
    );
  }

  async publishEvent<T extends IngestionEventType>(event: IngestionEvent<T>): Promise<void> {
    await this.publishEvents([event]);
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }
}
