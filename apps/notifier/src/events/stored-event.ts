import type { IngestionEventType, Layer, SocketIngestionEvent } from '#contracts';

/** An event as stored in meta.events: what clients see plus the store-wide position. */
export interface StoredEvent {
  /** meta.events.global_seq: allocation order across all ingestions (not commit order). */
  globalSeq: number;
  event: SocketIngestionEvent;
}

/** A meta.events row as pg returns it (bigint as string, timestamptz as Date, jsonb parsed). */
export interface EventRow {
  global_seq: string;
  ingestion_id: string;
  seq: number;
  event_id: string;
  type: string;
  layer: string;
  occurred_at: Date;
  data: SocketIngestionEvent['data'];
}

/** The columns every query selects, so live and replayed events are built the same way. */
export const EVENT_COLUMNS = 'global_seq, ingestion_id, seq, event_id, type, layer, occurred_at, data';

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    globalSeq: Number(row.global_seq),
    event: {
      seq: row.seq,
      eventId: row.event_id,
      ingestionId: row.ingestion_id,
      type: row.type as IngestionEventType,
      layer: row.layer as Layer,
      occurredAt: row.occurred_at.toISOString(),
      data: row.data,
    },
  };
}

/** PostgreSQL channel on which every newly stored event is announced to every notifier instance. */
export const EVENTS_CHANNEL = 'trips_events';

// NOTIFY payloads must stay under 8000 bytes; larger events travel by reference and are re-read.
const MAX_INLINE_PAYLOAD = 7_000;

/** Wire form of a notification: the event inline, or only its global seq when too large. */
type Notification = { g: number; e: SocketIngestionEvent } | { g: number; ref: true };

export function encodeNotification(stored: StoredEvent): string {
  const inline = JSON.stringify({ g: stored.globalSeq, e: stored.event } satisfies Notification);
  return Buffer.byteLength(inline) <= MAX_INLINE_PAYLOAD
    ? inline
    : JSON.stringify({ g: stored.globalSeq, ref: true } satisfies Notification);
}

/** Decodes a notification: the stored event, or `{ ref }` when it has to be read from the table. */
export function decodeNotification(payload: string): StoredEvent | { ref: number } {
  const n = JSON.parse(payload) as Partial<{ g: unknown; e: SocketIngestionEvent; ref: unknown }>;
  if (typeof n.g !== 'number' || !Number.isSafeInteger(n.g)) throw new Error('notification without global seq');
  if (n.ref === true) return { ref: n.g };
  const e = n.e;
  if (!e || typeof e.ingestionId !== 'string' || !Number.isInteger(e.seq))
    throw new Error('notification without event');
  return { globalSeq: n.g, event: e };
}
