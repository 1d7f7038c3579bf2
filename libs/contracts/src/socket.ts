import type { IngestionEvent, IngestionEventType, Layer } from './ingestion-events.js';

/** socket.io namespace of the notifier. */
export const SOCKET_NAMESPACE = '/ingestions';
/** Room name of one ingestion's events. */
export const ingestionRoom = (ingestionId: string): string => `ingestion:${ingestionId}`;
/** Room of the all-ingestions feed. */
export const ALL_INGESTIONS_ROOM = 'ingestions:all';

/** What a client receives: a stored event with its per-ingestion sequence number (1, 2, 3, …). */
export interface SocketIngestionEvent {
  seq: number;
  eventId: string;
  ingestionId: string;
  type: IngestionEventType;
  layer: Layer;
  occurredAt: string;
  data: IngestionEvent['data'];
}

/** `subscribe` payload: one ingestion (replaying events with seq > afterSeq), or `{ all: true }`. */
export type SubscribeRequest = { ingestionId: string; afterSeq?: number } | { all: true; afterSeq?: never };

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
