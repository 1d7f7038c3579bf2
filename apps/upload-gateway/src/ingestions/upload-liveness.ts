import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type Env } from '#config';
import { makeEvent } from '#contracts';
import { Publisher } from '#kafka';
import { IngestionsRepository } from './ingestions.repository.js';
import { UploadService } from './upload.service.js';

const INTERRUPTED = 'The upload stopped before its end: the gateway streaming it went away (crash or restart)';

/**
 * Keeps the uploads of this gateway alive and fails the ones whose gateway died: every
 * UPLOAD_STALE_MS / 3 it stamps its own uploads (meta.ingestions.upload_heartbeat_at), then fails
 * any upload, of any gateway, unstamped for UPLOAD_STALE_MS (`upload_interrupted`) and publishes
 * `ingestion.failed` for it. A dead gateway's uploads are thus failed within UPLOAD_STALE_MS × 4/3
 * by any other (or restarted) instance.
 */
@Injectable()
export class UploadLiveness implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadLiveness.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(CONFIG) private readonly env: Env,
    @Inject(UploadService) private readonly uploads: UploadService,
    @Inject(IngestionsRepository) private readonly repo: IngestionsRepository,
    @Inject(Publisher) private readonly publisher: Publisher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => {
        this.running ??= this.tick().finally(() => (this.running = undefined));
      },
      Math.round(this.env.UPLOAD_STALE_MS / 3),
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round: stamp ours, then fail the stale. A failing round (database down) is logged and retried next time. */
  async tick(): Promise<void> {
    try {
      await this.repo.heartbeat([...this.uploads.streaming]);
      const failed = await this.repo.failInterrupted(this.env.UPLOAD_STALE_MS, INTERRUPTED);
      for (const id of failed) {
        this.logger.warn({ ingestionId: id }, 'upload interrupted: its gateway stopped');
        await this.publisher.publishEvent(
          makeEvent('ingestion.failed', id, { stage: 'upload', code: 'upload_interrupted', message: INTERRUPTED }),
        );
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'upload liveness round failed; retrying at the next');
    }
  }
}
