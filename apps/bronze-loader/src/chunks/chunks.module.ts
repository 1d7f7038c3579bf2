import { Module } from '@nestjs/common';
import { BronzeRepository } from './bronze.repository.js';
import { ChunksConsumer } from './chunks.consumer.js';
import { ChunksService } from './chunks.service.js';

/** Raw chunks → bronze (COPY), work items to the transformer, bronze events. */
@Module({
  providers: [BronzeRepository, ChunksService, ChunksConsumer],
})
export class ChunksModule {}
