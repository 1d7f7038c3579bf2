import { Module } from '@nestjs/common';
import { HealthModule, LoggerModule } from '#common';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { IngestionsModule } from './ingestions/ingestions.module.js';
import { InsightsModule } from './insights/insights.module.js';
import { TripGroupsModule } from './trip-groups/trip-groups.module.js';
import { TripsModule } from './trips/trips.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, TripsModule, TripGroupsModule, IngestionsModule, InsightsModule],
})
export class QueryApiModule {}
