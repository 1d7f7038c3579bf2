import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CONFIG, SERVICE_NAME, type Env } from '#config';
import { LOGGER } from '#logging';
import { createKafka } from './kafka.factory.js';
import { Publisher } from './publisher.js';

export const KAFKA = Symbol('KAFKA');

/** The Kafka client and the process's producer. Nothing connects until first use. */
@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [CONFIG, SERVICE_NAME, LOGGER],
      useFactory: (env: Env, service: string, logger: Logger): Kafka => createKafka(env, service, logger),
    },
    { provide: Publisher, inject: [KAFKA, CONFIG], useFactory: (kafka: Kafka, env: Env) => new Publisher(kafka, env) },
  ],
  exports: [KAFKA, Publisher],
})
export class KafkaModule implements OnApplicationShutdown {
  constructor(@Inject(Publisher) private readonly publisher: Publisher) {}

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.disconnect();
  }
}
