import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '#common';
import { isUuid, type IngestionState, type RetractWorkV1 } from '#contracts';
import { Publisher } from '#kafka';
import { IngestionsRepository } from './ingestions.repository.js';
import { UploadService } from './upload.service.js';

/** Body of DELETE /api/v1/ingestions/:id. */
export interface RetractionAnswer {
  ingestionId: string;
  state: Extract<IngestionState, 'retracting' | 'retracted'>;
  statusUrl: string;
}

/**
 * `DELETE /api/v1/ingestions/:id` (docs/architecture.md, "What counts"): a completed ingestion becomes
 * `retracting` and the transformer gets a retraction work item, which takes its rows out of silver and
 * gold in one transaction and publishes `ingestion.retracted`. Asking again is harmless: a retraction
 * still pending is sent again (the transformer does it once), a finished one is reported.
 */
@Injectable()
export class RetractionService {
  constructor(
    @Inject(IngestionsRepository) private readonly repo: IngestionsRepository,
    @Inject(Publisher) private readonly publisher: Publisher,
    @Inject(UploadService) private readonly uploads: UploadService,
  ) {}

  async retract(rawId: string): Promise<RetractionAnswer> {
    if (!isUuid(rawId)) {
      throw new AppError(400, 'invalid_ingestion_id', 'the ingestion id must be a UUID', { ingestionId: rawId });
    }
    const ingestionId = rawId.toLowerCase();
    const found = await this.repo.requestRetraction(ingestionId);
    if (!found) {
      throw new AppError(404, 'ingestion_not_found', `no ingestion ${ingestionId}`, { ingestionId });
    }
    const answer = (state: RetractionAnswer['state']): RetractionAnswer => ({
      ingestionId,
      state,
      statusUrl: this.uploads.statusUrl(ingestionId),
    });
    switch (found.state) {
      case 'retracted':
        return answer('retracted');
      case 'retracting': {
        const item: RetractWorkV1 = { kind: 'retract', ingestionId, ingestionNo: found.ingestionNo };
        try {
          await this.publisher.send('bronzeWork', [{ key: `${ingestionId}:retract`, value: JSON.stringify(item) }]);
        } catch {
          throw new AppError(503, 'kafka_unavailable', 'Kafka is unavailable; send the DELETE again later', {
            ingestionId,
          });
        }
        return answer('retracting');
      }
      case 'failed':
        throw new AppError(
          409,
          'ingestion_failed',
          `ingestion ${ingestionId} failed: its rows never counted, so there is nothing to retract`,
          { ingestionId, state: found.state },
        );
      case 'completed':
        // Still completed after the request: its rows are from before segments (migration 0013).
        throw new AppError(
          409,
          'retraction_unsupported',
          `ingestion ${ingestionId} was loaded before segments existed (migration 0013) and cannot be retracted`,
          { ingestionId },
        );
      default:
        throw new AppError(
          409,
          'ingestion_in_progress',
          `ingestion ${ingestionId} is ${found.state}; retract it once it has completed`,
          { ingestionId, state: found.state },
        );
    }
  }
}
