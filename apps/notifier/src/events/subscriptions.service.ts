import { Injectable, Logger } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import {
  ALL_INGESTIONS_ROOM,
  ingestionRoom,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SubscribeAck,
} from '#contracts';
import { EventsRepository } from './events.repository.js';
import type { StoredEvent } from './stored-event.js';
import { CursorClosedError, SubscriptionCursor } from './subscription-cursor.js';

export type IngestionSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
export type IngestionNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

/** Ingestions one socket may follow at once; each costs a cursor and a room. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 1_000;

// Global seqs recently forwarded to the all-ingestions room, so a catch-up read after a lost LISTEN
// connection does not repeat what that room already got.
const RECENT_GLOBAL_SEQS = 20_000;

/** Events a replay reads and emits at once, before waiting for the client to take them. */
const REPLAY_PAGE = 500;

/**
 * Resolves once the socket's outgoing buffer is empty (engine.io emits `drain` when it has handed
 * everything to the transport, which waits for a slow client's TCP window), or the socket is gone.
 */
function drained(socket: IngestionSocket): Promise<void> {
  const conn = socket.conn as unknown as {
    writeBuffer?: unknown[];
    transport?: { writable?: boolean };
    once(event: 'drain' | 'close', listener: () => void): void;
    off(event: 'drain' | 'close', listener: () => void): void;
  };
  const busy = (conn.writeBuffer?.length ?? 0) > 0 || conn.transport?.writable === false;
  if (socket.disconnected || !busy) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      conn.off('drain', done);
      conn.off('close', done);
      resolve();
    };
    conn.once('drain', done);
    conn.once('close', done);
  });
}

/**
 * This instance's subscribers and the delivery of stored events to them.
 *
 * Per-ingestion subscriptions are delivered socket by socket through a {@link SubscriptionCursor}
 * (replay, hand-over, gap fill). The all-ingestions feed is a plain room broadcast that skips sockets
 * following the event's own ingestion, so a socket subscribed to both gets each event once.
 */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger(SubscriptionsService.name);
  private namespace: IngestionNamespace | undefined;
  /** socket id → ingestion id → cursor */
  private readonly bySocket = new Map<string, Map<string, SubscriptionCursor>>();
  /** ingestion id → cursors of this instance's sockets */
  private readonly byIngestion = new Map<string, Set<SubscriptionCursor>>();
  private readonly recentGlobalSeqs = new Set<number>();

  constructor(private readonly events: EventsRepository) {}

  attach(namespace: IngestionNamespace, maxSockets: number): void {
    this.namespace = namespace;
    // Beyond NOTIFIER_MAX_SOCKETS connections on this instance, a new one is refused at its handshake
    // (the client sees connect_error "too_many_connections" and may retry later or elsewhere).
    namespace.use((_socket, next) => {
      if (namespace.sockets.size >= maxSockets) next(new Error('too_many_connections'));
      else next();
    });
  }

  /**
   * Follows one ingestion from `afterSeq`: joins the room and registers the cursor first (live events
   * queue behind the replay from then on), replays, then acknowledges from inside the cursor's queue.
   */
  subscribe(socket: IngestionSocket, ingestionId: string, afterSeq: number, ack: (result: SubscribeAck) => void): void {
    const room = ingestionRoom(ingestionId);
    if (socket.disconnected) return; // nobody to answer, and a cursor registered now would never be removed
    const mine = this.bySocket.get(socket.id) ?? new Map<string, SubscriptionCursor>();
    if (!mine.has(ingestionId) && mine.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
      ack({
        ok: false,
        error: {
          code: 'too_many_subscriptions',
          message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} ingestions per connection`,
        },
      });
      return;
    }
    // Subscribing again (a client resuming from another seq) replaces the previous cursor.
    this.remove(socket.id, ingestionId);
    const cursor = new SubscriptionCursor(
      afterSeq,
      (after, upto, limit) => this.events.listAfter(ingestionId, after, upto, limit),
      (event) => socket.emit('ingestion.event', event),
      (error) =>
        this.logger.warn(
          { err: error, ingestionId, socket: socket.id },
          'could not read events for a subscriber; retrying on the next event',
        ),
      REPLAY_PAGE,
      () => drained(socket),
    );
    mine.set(ingestionId, cursor);
    this.bySocket.set(socket.id, mine);
    const cursors = this.byIngestion.get(ingestionId) ?? new Set<SubscriptionCursor>();
    cursors.add(cursor);
    this.byIngestion.set(ingestionId, cursors);
    void socket.join(room);
    cursor.replay((result) => {
      if ('error' in result) {
        // Unless a newer subscription of this socket took over, it no longer follows the ingestion.
        if (this.bySocket.get(socket.id)?.get(ingestionId) === cursor) {
          this.remove(socket.id, ingestionId);
          void socket.leave(room);
        }
        if (result.error instanceof CursorClosedError) {
          ack({ ok: false, error: { code: 'unsubscribed', message: result.error.message } });
          return;
        }
        this.logger.warn({ err: result.error, ingestionId }, 'replay failed');
        ack({
          ok: false,
          error: { code: 'unavailable', message: 'the event store is unavailable; subscribe again shortly' },
        });
        return;
      }
      ack({ ok: true, room, replayed: result.replayed, lastSeq: result.lastSeq });
    });
  }

  subscribeAll(socket: IngestionSocket): SubscribeAck {
    void socket.join(ALL_INGESTIONS_ROOM);
    return { ok: true, room: ALL_INGESTIONS_ROOM, replayed: 0, lastSeq: 0 };
  }

  unsubscribe(socket: IngestionSocket, ingestionId: string): SubscribeAck {
    const lastSeq = this.remove(socket.id, ingestionId) ?? 0;
    void socket.leave(ingestionRoom(ingestionId));
    return { ok: true, room: ingestionRoom(ingestionId), replayed: 0, lastSeq };
  }

  unsubscribeAll(socket: IngestionSocket): SubscribeAck {
    void socket.leave(ALL_INGESTIONS_ROOM);
    return { ok: true, room: ALL_INGESTIONS_ROOM, replayed: 0, lastSeq: 0 };
  }

  /** A socket went away: drop its cursors (socket.io drops its rooms). */
  disconnected(socketId: string): void {
    for (const ingestionId of [...(this.bySocket.get(socketId)?.keys() ?? [])]) this.remove(socketId, ingestionId);
  }

  /** A newly stored event, as announced by PostgreSQL (or re-read after a lost LISTEN connection). */
  publish(stored: StoredEvent): void {
    const { event } = stored;
    for (const cursor of this.byIngestion.get(event.ingestionId) ?? []) cursor.offer(event);
    if (this.recentGlobalSeqs.has(stored.globalSeq)) return;
    this.recentGlobalSeqs.add(stored.globalSeq);
    if (this.recentGlobalSeqs.size > RECENT_GLOBAL_SEQS) {
      this.recentGlobalSeqs.delete(this.recentGlobalSeqs.values().next().value as number);
    }
    this.namespace?.to(ALL_INGESTIONS_ROOM).except(ingestionRoom(event.ingestionId)).emit('ingestion.event', event);
  }

  /** Every cursor re-reads the store: notifications may have been lost while LISTEN was down. */
  resync(): void {
    for (const cursors of this.byIngestion.values()) for (const cursor of cursors) cursor.sync();
  }

  /** Subscriptions on this instance (sockets × ingestions). */
  get size(): number {
    let n = 0;
    for (const m of this.bySocket.values()) n += m.size;
    return n;
  }

  private remove(socketId: string, ingestionId: string): number | undefined {
    const mine = this.bySocket.get(socketId);
    const cursor = mine?.get(ingestionId);
    if (!mine || !cursor) return undefined;
    cursor.close();
    mine.delete(ingestionId);
    if (!mine.size) this.bySocket.delete(socketId);
    const cursors = this.byIngestion.get(ingestionId);
    cursors?.delete(cursor);
    if (cursors && !cursors.size) this.byIngestion.delete(ingestionId);
    return cursor.position;
  }
}
