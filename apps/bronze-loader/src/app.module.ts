import { Module } from '@nestjs/common';
import { HealthModule, LoggerModule } from '#common';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { ChunksModule } from './chunks/chunks.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, ChunksModule],
})
export class BronzeLoaderModule {}
