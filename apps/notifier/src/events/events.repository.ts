import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { IngestionEvent, SocketIngestionEvent } from '#contracts';
import { PG_POOL, withTransaction } from '#db';
import {
  encodeNotification,
  EVENT_COLUMNS,
  EVENTS_CHANNEL,
  toStoredEvent,
  type EventRow,
  type StoredEvent,
} from './stored-event.js';

// First key of the two-key advisory locks that serialise seq allocation per ingestion; the second is
// hashtext(ingestion_id). A hash collision only makes two ingestions wait for each other.
const SEQ_LOCK_SPACE = 0x6e6f7469; // "noti"

/** meta.events: the notifier's store of public events, each once, numbered 1, 2, 3 … per ingestion. */
@Injectable()
export class EventsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /**
   * Stores an event unless its eventId is already stored, with seq = the ingestion's next number, and
   * announces it on {@link EVENTS_CHANNEL} in the same transaction (PostgreSQL delivers the notification
   * only on commit, in commit order). Returns null for a duplicate.
   *
   * The per-ingestion lock is held until commit, so seqs are committed in order without gaps: whoever
   * sees seq n committed can rely on 1..n-1 being committed too.
   */
  async store(event: IngestionEvent): Promise<StoredEvent | null> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        SEQ_LOCK_SPACE,
        event.ingestionId.toLowerCase(),
      ]);
      // A separate statement after the lock, so its snapshot includes the previous holder's commit.
      const { rows } = await client.query<EventRow>(
        `INSERT INTO meta.events (ingestion_id, seq, event_id, type, layer, occurred_at, data)
         SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6 FROM meta.events WHERE ingestion_id = $1
         ON CONFLICT (event_id) DO NOTHING
         RETURNING ${EVENT_COLUMNS}`,
        [event.ingestionId, event.eventId, event.type, event.layer, event.occurredAt, JSON.stringify(event.data)],
      );
      if (!rows.length) return null;
      const stored = toStoredEvent(rows[0]);
      await client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, encodeNotification(stored)]);
      return stored;
    });
  }

  /**
   * Retention: deletes every event of the ingestions whose newest event was stored more than `days`
   * ago (a whole ingestion at a time, so no ingestion is left with a partial history), at most
   * `batch` ingestions per call. Returns the events deleted.
   */
  async deleteExpired(days: number, batch = 1_000): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM meta.events e
        USING (SELECT ingestion_id FROM meta.events GROUP BY ingestion_id
                HAVING max(stored_at) < now() - make_interval(days => $1) LIMIT $2) AS old
        WHERE e.ingestion_id = old.ingestion_id`,
      [days, batch],
    );
    return rowCount ?? 0;
  }

  /** One ingestion's events with `afterSeq < seq <= uptoSeq`, in seq order. */
  async listAfter(
    ingestionId: string,
    afterSeq: number,
    uptoSeq: number | undefined,
    limit: number,
  ): Promise<SocketIngestionEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM meta.events
       WHERE ingestion_id = $1 AND seq > $2 AND ($3::integer IS NULL OR seq <= $3)
       ORDER BY seq LIMIT $4`,
      [ingestionId, afterSeq, uptoSeq ?? null, limit],
    );
    return rows.map((r) => toStoredEvent(r).event);
  }

  /** Events of all ingestions with global_seq > `afterGlobalSeq`, in global_seq order. */
  async listAfterGlobalSeq(afterGlobalSeq: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM meta.events WHERE global_seq > $1 ORDER BY global_seq LIMIT $2`,
      [afterGlobalSeq, limit],
    );
    return rows.map(toStoredEvent);
  }

  async byGlobalSeq(globalSeq: number): Promise<StoredEvent | undefined> {
    const { rows } = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM meta.events WHERE global_seq = $1`, [
      globalSeq,
    ]);
    return rows[0] && toStoredEvent(rows[0]);
  }
}
