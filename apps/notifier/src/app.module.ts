import { Module } from '@nestjs/common';
import { DatabaseHealth, HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaHealth, KafkaModule } from '#kafka';
import { DashboardHttpController } from './dashboard/dashboard.http.controller.js';
import { EventsListenerHealth } from './events/events-listener.health.js';
import { EventsModule } from './events/events.module.js';

@Module({
  imports: [
    ConfigModule.forService('notifier'),
    LoggerModule,
    DbModule,
    KafkaModule,
    // Kafka (the events it stores), PostgreSQL (the store) and its LISTEN session (live delivery).
    HealthModule.forRoot([DatabaseHealth, KafkaHealth, EventsListenerHealth], [EventsModule]),
    EventsModule,
  ],
  controllers: [DashboardHttpController],
})
export class NotifierModule {}
