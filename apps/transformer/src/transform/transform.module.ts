import { Module } from '@nestjs/common';
import { BronzeWorkConsumer } from './bronze-work.consumer.js';
import { TransformRepository } from './transform.repository.js';
import { TransformService } from './transform.service.js';

/** Bronze work items → silver and gold. */
@Module({
  providers: [TransformRepository, TransformService, BronzeWorkConsumer],
})
export class TransformModule {}
