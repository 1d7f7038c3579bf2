import { Module } from '@nestjs/common';
import { IngestionsHttpController } from './ingestions.http.controller.js';
import { IngestionsRepository } from './ingestions.repository.js';

@Module({
  controllers: [IngestionsHttpController],
  providers: [IngestionsRepository],
})
export class IngestionsModule {}
