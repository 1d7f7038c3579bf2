import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { KAFKA } from './kafka.module.js';

/**
 * Kafka answers a metadata request, on an admin connection of its own that does not retry. A
 * `DependencyCheck` for `#common`'s `HealthModule` (by shape: libs/kafka sits below libs/common),
 * declared by the services that use Kafka.
 */
@Injectable()
export class KafkaHealth {
  readonly name = 'kafka';
  readonly timeoutMs = 5_000;

  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  async probe(): Promise<{ brokers: number }> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length };
    } finally {
      await admin.disconnect();
    }
  }
}
