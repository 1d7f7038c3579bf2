import { Module } from '@nestjs/common';
import { EventsConsumer } from './events.consumer.js';
import { EventsGateway } from './events.gateway.js';
import { EventsHttpController } from './events.http.controller.js';
import { EventsListener } from './events-listener.service.js';
import { EventsRepository } from './events.repository.js';
import { EventsRetention } from './events-retention.js';
import { SubscriptionsService } from './subscriptions.service.js';

/** Kafka → meta.events → PostgreSQL NOTIFY → every instance's socket.io subscribers (and REST). */
@Module({
  controllers: [EventsHttpController],
  providers: [EventsRepository, SubscriptionsService, EventsListener, EventsConsumer, EventsGateway, EventsRetention],
  exports: [EventsListener],
})
export class EventsModule {}
