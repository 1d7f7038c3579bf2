import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { DatabaseHealth, HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { querySessionSettings } from './db-session.js';
import { GridSettingsModule } from './grid-settings.module.js';
import { DbErrorsInterceptor } from './http/db-errors.interceptor.js';
import { IngestionsModule } from './ingestions/ingestions.module.js';
import { InsightsModule } from './insights/insights.module.js';
import { RegionsModule } from './regions/regions.module.js';
import { TripGroupsModule } from './trip-groups/trip-groups.module.js';
import { TripsModule } from './trips/trips.module.js';

@Module({
  imports: [
    ConfigModule.forService('query-api'),
    LoggerModule,
    DbModule.withSessionSettings(querySessionSettings),
    // PostgreSQL is all it reads: no Kafka client, so Kafka being down does not concern it.
    HealthModule.forRoot([DatabaseHealth]),
    GridSettingsModule,
    TripsModule,
    TripGroupsModule,
    IngestionsModule,
    InsightsModule,
    RegionsModule,
  ],
  providers: [{ provide: APP_INTERCEPTOR, useClass: DbErrorsInterceptor }],
})
export class QueryApiModule {}
