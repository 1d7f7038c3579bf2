import { Module } from '@nestjs/common';
import { DatabaseHealth, HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaHealth, KafkaModule } from '#kafka';
import { ChunksModule } from './chunks/chunks.module.js';

@Module({
  imports: [
    ConfigModule.forService('bronze-loader'),
    LoggerModule,
    DbModule,
    KafkaModule,
    HealthModule.forRoot([DatabaseHealth, KafkaHealth]),
    ChunksModule,
  ],
})
export class BronzeLoaderModule {}
