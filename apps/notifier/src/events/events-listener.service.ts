import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import pg from 'pg';
import { CONFIG, type Env } from '#config';
import { EventsRepository } from './events.repository.js';
import { decodeNotification, EVENTS_CHANNEL, type StoredEvent } from './stored-event.js';
import { SubscriptionsService } from './subscriptions.service.js';

// After a lost connection, re-read this far below the highest global seq seen: global seqs are
// allocated before commit, so a few may commit (and be announced) out of order.
const CATCH_UP_MARGIN = 1_000;
const CATCH_UP_LIMIT = 10_000;

/**
 * Holds one dedicated PostgreSQL connection (LISTEN needs a session of its own, not a pooled one) on
 * {@link EVENTS_CHANNEL}, where every instance's store announces each new event, and hands the events
 * to this instance's subscribers in the order PostgreSQL delivers them (commit order).
 *
 * The connection is (re)opened in the background with backoff, so the service boots while PostgreSQL
 * is down. Notifications sent while it was down are lost, so on every reconnect each per-ingestion
 * subscriber re-reads the store after its position, and the all-ingestions feed re-reads recent events.
 */
@Injectable()
export class EventsListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventsListener.name);
  private client: pg.Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  /** max(global_seq) when LISTEN first took effect: the all-ingestions feed starts after it. */
  private floorGlobalSeq: number | undefined;
  private highestGlobalSeq = 0;
  private listening = false;
  /** Notifications are handled one after the other, so events reach subscribers in commit order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    @Inject(CONFIG) private readonly env: Env,
    private readonly events: EventsRepository,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  onApplicationBootstrap(): void {
    void this.connect();
  }

  /** True while the LISTEN session is up (live delivery works). */
  get isListening(): boolean {
    return this.listening;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
    await this.queue;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.env.DATABASE_URL,
      application_name: 'trips-notifier-listen',
    });
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      const wasListening = this.listening;
      this.listening = false;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(
        { err: error },
        wasListening ? 'LISTEN connection lost; reconnecting' : 'cannot open the LISTEN connection; retrying',
      );
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL && message.payload)
        this.enqueue(() => this.onNotification(message.payload as string));
    });
    let first = false;
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      if (this.floorGlobalSeq === undefined) {
        const { rows } = await client.query<{ max: string }>(
          'SELECT coalesce(max(global_seq), 0) AS max FROM meta.events',
        );
        this.floorGlobalSeq = Number(rows[0].max);
        this.highestGlobalSeq = Math.max(this.highestGlobalSeq, this.floorGlobalSeq);
        first = true;
      }
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    if (lost) return; // dropped right after connecting; a reconnect is already scheduled
    this.attempt = 0;
    this.listening = true;
    this.logger.log('listening for stored events');
    // Anything committed before LISTEN took effect was not announced to us: read it from the store.
    this.subscriptions.resync();
    if (!first) {
      const since = Math.max(this.floorGlobalSeq ?? 0, this.highestGlobalSeq - CATCH_UP_MARGIN);
      this.enqueue(() => this.catchUpAll(since));
    }
  }

  private scheduleReconnect(): void {
    const delay = Math.min(5_000, 200 * 2 ** Math.min(this.attempt++, 5));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue
      .then(task)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not forward a stored event'));
  }

  private async onNotification(payload: string): Promise<void> {
    const decoded = decodeNotification(payload);
    const stored = 'ref' in decoded ? await this.events.byGlobalSeq(decoded.ref) : decoded;
    if (stored) this.forward(stored);
  }

  private async catchUpAll(since: number): Promise<void> {
    const missed = await this.events.listAfterGlobalSeq(since, CATCH_UP_LIMIT);
    for (const stored of missed) this.forward(stored);
  }

  private forward(stored: StoredEvent): void {
    this.highestGlobalSeq = Math.max(this.highestGlobalSeq, stored.globalSeq);
    this.subscriptions.publish(stored);
  }
}
