import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { CONFIG, type Env } from '#config';
import { IngestionsHttpController } from './ingestions.http.controller.js';
import { IngestionsRepository } from './ingestions.repository.js';
import { RetractionService } from './retraction.service.js';
import { UploadLiveness } from './upload-liveness.js';
import { UploadService } from './upload.service.js';

@Module({
  imports: [
    // Per client address, in this instance's memory: UPLOAD_RATE_LIMIT_PER_MINUTE uploads a minute.
    ThrottlerModule.forRootAsync({
      inject: [CONFIG],
      useFactory: (env: Env) => ({
        throttlers: [{ ttl: 60_000, limit: env.UPLOAD_RATE_LIMIT_PER_MINUTE }],
        skipIf: () => env.UPLOAD_RATE_LIMIT_PER_MINUTE === 0,
        errorMessage: `More than ${env.UPLOAD_RATE_LIMIT_PER_MINUTE} uploads a minute from this address; retry after the time in Retry-After (seconds)`,
      }),
    }),
  ],
  controllers: [IngestionsHttpController],
  providers: [UploadService, IngestionsRepository, UploadLiveness, RetractionService],
})
export class IngestionsModule {}
