import { io, type Socket } from 'socket.io-client';
import {
  SOCKET_NAMESPACE,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SocketIngestionEvent,
  type SubscribeAck,
  type SubscribeRequest,
} from '#contracts';
import { EventPositions } from './event-positions.js';

type IngestionSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const ACK_TIMEOUT_MS = 10_000;
const RETRY_MS = 1_000;

/** The notifier could not be reached, or refused a subscription. */
export class NotifierError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotifierError';
  }
}

/**
 * A socket.io connection to the notifier's `/ingestions` namespace that survives dropped connections:
 * socket.io reconnects by itself, and on every (re)connect each followed ingestion is subscribed again
 * from the last seq this client saw, so the notifier replays exactly what was missed. Events are also
 * de-duplicated here by seq, so an overlap can never reach the caller twice.
 */
export class NotifierClient {
  private readonly socket: IngestionSocket;
  private readonly positions = new EventPositions();
  /** Ingestions followed one by one (replay + live), resubscribed after every reconnect. */
  private readonly followed = new Set<string>();
  private followingAll = false;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly onEvent: (event: SocketIngestionEvent) => void,
    private readonly onStatus: (message: string) => void = () => undefined,
    /** The platform's API_TOKEN, sent in the handshake (the all-ingestions feed needs it when set). */
    token?: string,
  ) {
    this.socket = io(new URL(SOCKET_NAMESPACE, url).toString(), {
      autoConnect: false,
      reconnectionDelayMax: 5_000,
      ...(token ? { auth: { token } } : {}),
    });
    this.socket.on('ingestion.event', (event) => {
      if (this.positions.accept(event)) this.onEvent(event);
    });
    let connectedBefore = false;
    this.socket.on('connect', () => {
      if (connectedBefore) {
        this.onStatus(`reconnected to ${url}; resuming`);
        void this.resubscribeAll();
      }
      connectedBefore = true;
    });
    this.socket.on('disconnect', (reason) => {
      if (this.closed) return;
      this.onStatus(`connection to ${url} lost (${reason}); reconnecting`);
      // socket.io retries by itself except when the server closed the socket on purpose (e.g. shutting down).
      if (reason === 'io server disconnect') this.socket.connect();
    });
  }

  /** Opens the connection; rejects when the notifier does not answer within `timeoutMs`. */
  connect(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.close();
        reject(
          new NotifierError(
            'notifier_unreachable',
            `cannot connect to the notifier at ${this.url} (${lastError ?? 'timed out'})`,
          ),
        );
      }, timeoutMs);
      let lastError: string | undefined;
      const onError = (error: Error) => {
        lastError = error.message;
      };
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
      };
      this.socket.on('connect', onConnect);
      this.socket.on('connect_error', onError);
      this.socket.connect();
    });
  }

  /** Follows one ingestion: replays its stored events after `afterSeq`, then live ones. Resolves on the acknowledgement. */
  async follow(ingestionId: string, afterSeq = 0): Promise<Extract<SubscribeAck, { ok: true }>> {
    const id = ingestionId.toLowerCase();
    this.followed.add(id);
    this.positions.advance(id, afterSeq);
    return this.subscribe({ ingestionId: id, afterSeq: this.positions.get(id) });
  }

  /** Every ingestion's live events (the notifier does not replay this feed; follow() an ingestion for that). */
  async followAll(): Promise<void> {
    this.followingAll = true;
    await this.subscribe({ all: true });
  }

  /** Seq of the last event delivered for an ingestion (0 = none). */
  lastSeq(ingestionId: string): number {
    return this.positions.get(ingestionId.toLowerCase());
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private async resubscribeAll(): Promise<void> {
    try {
      if (this.followingAll) await this.subscribe({ all: true });
      for (const id of this.followed) await this.subscribe({ ingestionId: id, afterSeq: this.positions.get(id) });
    } catch (error) {
      this.onStatus(`could not resubscribe: ${(error as Error).message}`);
    }
  }

  /** Subscribes, retrying while the notifier's store is unavailable or the connection is down. */
  private async subscribe(request: SubscribeRequest): Promise<Extract<SubscribeAck, { ok: true }>> {
    for (;;) {
      if (this.closed) throw new NotifierError('closed', 'the connection was closed');
      let ack: SubscribeAck;
      try {
        ack = (await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', request)) as SubscribeAck;
      } catch {
        // No acknowledgement: the connection dropped meanwhile; the reconnect handler resubscribes too.
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      if (ack.ok) return ack;
      if (ack.error.code !== 'unavailable') throw new NotifierError(ack.error.code, ack.error.message);
      this.onStatus(`notifier: ${ack.error.message}`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
