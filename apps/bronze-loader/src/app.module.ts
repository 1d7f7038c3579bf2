import { Module } from '@nestjs/common';
import { HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { ChunksModule } from './chunks/chunks.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, ChunksModule],
})
export class BronzeLoaderModule {}
