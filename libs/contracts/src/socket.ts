import type { IngestionEvent, IngestionEventType, Layer } from './ingestion-events.js';

/** socket.io namespace of the notifier. */
export const SOCKET_NAMESPACE = '/ingestions';
/** Room name of one ingestion's events. */
export const ingestionRoom = (ingestionId: string): string => `ingestion:${ingestionId}`;
/** Room of the all-ingestions feed. */
export const ALL_INGESTIONS_ROOM = 'ingestions:all';

/**
 * What a client receives (server→client event `ingestion.event`): a stored event with its
 * per-ingestion sequence number. A subscriber of one ingestion gets every seq once, in order, without
 * gaps; the all-ingestions feed is live only.
 */
export interface SocketIngestionEvent {
  /** Position in the ingestion's event log: 1, 2, 3, … assigned by the notifier's store. Resume with `afterSeq` = the last one seen. */
  seq: number;
  /** The envelope's deterministic id (each is stored and delivered once). */
  eventId: string;
  ingestionId: string;
  type: IngestionEventType;
  layer: Layer;
  /** ISO-8601 UTC time the producing service emitted the event (millisecond precision). */
  occurredAt: string;
  /** The payload of `type` (see IngestionEventDataMap). */
  data: IngestionEvent['data'];
}

/**
 * `subscribe` payload: one ingestion, replaying stored events with seq > `afterSeq` (default 0 = the
 * whole history) and then continuing live; or `{ all: true }`, live events of every ingestion from now
 * on. Subscribing to an ingestion again replaces the earlier subscription (resume from another seq).
 * `unsubscribe` takes the same shapes (`afterSeq` is ignored).
 */
export type SubscribeRequest = { ingestionId: string; afterSeq?: number } | { all: true; afterSeq?: never };

/**
 * Answer to `subscribe` / `unsubscribe`. For `subscribe` it is sent after the replayed events and before
 * any live one. `room`: the room joined or left; `replayed`: events re-sent from the store; `lastSeq`:
 * the seq the client now holds (the last replayed, else `afterSeq`; 0 for `{ all: true }`).
 * Error codes: `invalid_request`, `invalid_ingestion_id`, `invalid_after_seq`, `too_many_subscriptions`,
 * `unavailable` (event store down; retry), `unsubscribed` (closed before its replay finished).
 */
export type SubscribeAck =
  | { ok: true; room: string; replayed: number; lastSeq: number }
  | { ok: false; error: { code: string; message: string } };

export interface ServerToClientEvents {
  'ingestion.event': (event: SocketIngestionEvent) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (result: SubscribeAck) => void) => void;
  unsubscribe: (request: SubscribeRequest, ack: (result: SubscribeAck) => void) => void;
}
