import { Module } from '@nestjs/common';
import { BronzeWorkConsumer } from './bronze-work.consumer.js';
import { Dictionaries } from './dictionaries.js';
import { RetractionRepository } from './retraction.repository.js';
import { RetractionService } from './retraction.service.js';
import { SegmentMerger } from './segment-merger.js';
import { SegmentRepository } from './segment.repository.js';
import { TransformRepository } from './transform.repository.js';
import { TransformService } from './transform.service.js';

/** Bronze work items → silver and gold, in segments; retractions take them out again. */
@Module({
  providers: [
    TransformRepository,
    SegmentRepository,
    Dictionaries,
    TransformService,
    SegmentMerger,
    RetractionRepository,
    RetractionService,
    BronzeWorkConsumer,
  ],
})
export class TransformModule {}
