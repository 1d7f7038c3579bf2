import { Module } from '@nestjs/common';
import { BronzeWorkConsumer } from './bronze-work.consumer.js';
import { Dictionaries } from './dictionaries.js';
import { SegmentMerger } from './segment-merger.js';
import { SegmentRepository } from './segment.repository.js';
import { TransformRepository } from './transform.repository.js';
import { TransformService } from './transform.service.js';

/** Bronze work items → silver and gold, in segments. */
@Module({
  providers: [
    TransformRepository,
    SegmentRepository,
    Dictionaries,
    TransformService,
    SegmentMerger,
    BronzeWorkConsumer,
  ],
})
export class TransformModule {}
