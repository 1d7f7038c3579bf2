// socket.io connection to this notifier's `/ingestions` namespace. The all-ingestions feed announces
// new ingestions; each unfinished one is then followed on its own (`{ ingestionId, afterSeq }`), so
// after a dropped connection the notifier replays exactly the events this page missed.
import { io } from '/socket.io/socket.io.esm.min.js';
import { apiToken } from './token.js';

export class Live {
  /**
   * @param {(event: object) => void} onEvent every `ingestion.event`, duplicates included (the model drops them by seq)
   * @param {(status: 'live' | 'down' | 'wait', text: string) => void} onStatus
   * @param {() => void} onReconnect after a reconnection (the page re-reads the list it may have missed)
   * @param {() => void} onUnauthorized the all-ingestions feed refused this tab's API token (or its lack of one)
   */
  constructor(onEvent, onStatus, onReconnect, onUnauthorized) {
    this.followed = new Map(); // ingestionId → last seq seen
    this.onUnauthorized = onUnauthorized;
    // A function: every (re)connection presents the token the tab holds then.
    this.socket = io('/ingestions', {
      reconnectionDelayMax: 5000,
      auth: (cb) => cb(apiToken() ? { token: apiToken() } : {}),
    });
    this.socket.on('ingestion.event', (event) => {
      if (this.followed.has(event.ingestionId)) {
        this.followed.set(event.ingestionId, Math.max(this.followed.get(event.ingestionId), event.seq));
      }
      onEvent(event);
    });
    let connectedBefore = false;
    this.socket.on('connect', () => {
      onStatus('live', 'live');
      this.subscribe({ all: true });
      if (connectedBefore) {
        for (const [ingestionId, afterSeq] of this.followed) this.subscribe({ ingestionId, afterSeq });
        onReconnect();
      }
      connectedBefore = true;
    });
    this.socket.on('disconnect', (reason) => {
      onStatus('wait', 'reconnecting…');
      // socket.io retries by itself except when the server closed the socket on purpose (e.g. shutting down).
      if (reason === 'io server disconnect') this.socket.connect();
    });
    this.socket.on('connect_error', () => onStatus('down', 'notifier unreachable — retrying'));
  }

  /** Follows one ingestion from `afterSeq` (replay, then live); resolves with the acknowledgement. */
  follow(ingestionId, afterSeq = 0) {
    const known = this.followed.get(ingestionId) ?? 0;
    this.followed.set(ingestionId, Math.max(known, afterSeq));
    return this.subscribe({ ingestionId, afterSeq: Math.max(known, afterSeq) });
  }

  /** Stops following a finished ingestion (its events are complete). */
  unfollow(ingestionId) {
    if (!this.followed.delete(ingestionId)) return;
    if (this.socket.connected) this.socket.emit('unsubscribe', { ingestionId }, () => undefined);
  }

  isFollowing(ingestionId) {
    return this.followed.has(ingestionId);
  }

  async subscribe(request) {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const ack = await this.socket.timeout(10000).emitWithAck('subscribe', request);
        if (!ack.ok && ack.error.code === 'unauthorized') this.onUnauthorized();
        if (ack.ok || ack.error.code !== 'unavailable') return ack;
      } catch {
        // no acknowledgement (connection dropped): the reconnect handler subscribes again
        if (!this.socket.connected) return undefined;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return undefined;
  }
}
