import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type Env } from '#config';
import { EventsRepository } from './events.repository.js';

const HOUR_MS = 3_600_000;

/**
 * Keeps meta.events to EVENTS_RETENTION_DAYS: once an hour (the first a minute after the start),
 * every notifier instance deletes the events of ingestions that have had none for that long. The
 * period is at least 8 days, longer than the events topic keeps them (7 days): an event Kafka
 * redelivers always finds its stored copy, so deduplication by eventId still holds.
 */
@Injectable()
export class EventsRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventsRetention.name);
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;

  constructor(
    @Inject(CONFIG) private readonly env: Env,
    @Inject(EventsRepository) private readonly events: EventsRepository,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    };
    this.timers = [setTimeout(run, 60_000), setInterval(run, HOUR_MS)];
    for (const t of this.timers) t.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.running;
  }

  /** Deletes expired ingestions' events, batch by batch; a failure is logged and retried next hour. */
  async sweep(): Promise<void> {
    try {
      let total = 0;
      for (;;) {
        const deleted = await this.events.deleteExpired(this.env.EVENTS_RETENTION_DAYS);
        if (deleted === 0) break;
        total += deleted;
      }
      if (total > 0)
        this.logger.log({ deleted: total, days: this.env.EVENTS_RETENTION_DAYS }, 'expired events deleted');
    } catch (error) {
      this.logger.warn({ err: error }, 'events retention failed; retrying in an hour');
    }
  }
}
