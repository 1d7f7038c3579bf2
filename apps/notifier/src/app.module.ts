import { Module } from '@nestjs/common';
import { HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { DashboardHttpController } from './dashboard/dashboard.http.controller.js';
import { EventsModule } from './events/events.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, EventsModule],
  controllers: [DashboardHttpController],
})
export class NotifierModule {}
