import { Module } from '@nestjs/common';
import { HealthModule, LoggerModule } from '#common';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { EventsModule } from './events/events.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, EventsModule],
})
export class NotifierModule {}
