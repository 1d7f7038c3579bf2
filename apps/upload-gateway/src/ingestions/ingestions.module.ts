import { Module } from '@nestjs/common';
import { IngestionsHttpController } from './ingestions.http.controller.js';
import { IngestionsRepository } from './ingestions.repository.js';
import { UploadService } from './upload.service.js';

@Module({
  controllers: [IngestionsHttpController],
  providers: [UploadService, IngestionsRepository],
})
export class IngestionsModule {}
