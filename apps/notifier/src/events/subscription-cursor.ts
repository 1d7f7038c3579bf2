import type { SocketIngestionEvent } from '#contracts';

/** Reads stored events of the cursor's ingestion with `afterSeq < seq <= uptoSeq`, ordered by seq, at most `limit`. */
export type FetchEvents = (
  afterSeq: number,
  uptoSeq: number | undefined,
  limit: number,
) => Promise<SocketIngestionEvent[]>;

export type ReplayResult = { replayed: number; lastSeq: number } | { error: unknown };

/** The subscription was closed (unsubscribed, replaced, disconnected) before its replay ran. */
export class CursorClosedError extends Error {
  constructor() {
    super('the subscription was closed before its replay completed');
    this.name = 'CursorClosedError';
  }
}

/**
 * One client's position in one ingestion's event sequence. It emits every stored event exactly once,
 * in seq order, without gaps, whether the event comes from the store (replay, gap fill) or live.
 *
 * Every operation is a task on one queue, so live events that arrive while the replay query runs wait
 * behind it (that queue is the hand-over buffer) and are then skipped if the replay already covered
 * them. A live event that jumps ahead (a notification was missed) first fills the gap from the store;
 * because seqs are allocated under a per-ingestion lock, a committed seq n implies 1..n-1 are committed.
 */
export class SubscriptionCursor {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private lastSeq: number,
    private readonly fetch: FetchEvents,
    private readonly emit: (event: SocketIngestionEvent) => void,
    private readonly onError: (error: unknown) => void,
    private readonly pageSize = 500,
    /**
     * Resolves once the client has taken what was emitted (its connection's buffer drained): a
     * replay reads its next page only then, so a slow client holds one page in memory, not a history.
     */
    private readonly drained: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** The seq of the last event emitted (or the `afterSeq` the client started from). */
  get position(): number {
    return this.lastSeq;
  }

  /**
   * Emits every stored event after the position, then calls `done` — still inside the queue, so an
   * acknowledgement sent from `done` reaches the client after the replayed events and before live ones.
   */
  replay(done: (result: ReplayResult) => void): void {
    const task = async () => {
      let result: ReplayResult;
      try {
        const replayed = await this.catchUp(undefined);
        result = this.closed ? { error: new CursorClosedError() } : { replayed, lastSeq: this.lastSeq };
      } catch (error) {
        result = { error };
      }
      done(result);
    };
    // Runs even when closed meanwhile: the client is waiting for an answer.
    this.tail = this.tail.then(task).catch((error: unknown) => this.onError(error));
  }

  /** A live event of this ingestion. */
  offer(event: SocketIngestionEvent): void {
    this.enqueue(() => this.deliver(event));
  }

  /** Re-reads the store after the position (after live notifications may have been lost). */
  sync(): void {
    this.enqueue(async () => {
      await this.catchUp(undefined);
    });
  }

  /** Stops emitting; queued tasks become no-ops. */
  close(): void {
    this.closed = true;
  }

  /** Resolves when every task queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  private enqueue(task: () => Promise<void>): void {
    this.tail = this.tail.then(() => (this.closed ? undefined : task())).catch((error: unknown) => this.onError(error));
  }

  private async deliver(event: SocketIngestionEvent): Promise<void> {
    if (event.seq <= this.lastSeq) return;
    // A failed gap fill throws before anything is emitted: the next event or sync retries it.
    if (event.seq > this.lastSeq + 1) await this.catchUp(event.seq);
    // Still ahead only if the store lacks seqs it cannot lack; keep the live stream going regardless.
    if (event.seq > this.lastSeq) this.push(event);
  }

  private async catchUp(uptoSeq: number | undefined): Promise<number> {
    let emitted = 0;
    for (;;) {
      if (this.closed) return emitted;
      const page = await this.fetch(this.lastSeq, uptoSeq, this.pageSize);
      const before = this.lastSeq;
      for (const event of page) {
        if (this.closed) return emitted;
        if (event.seq > this.lastSeq) {
          this.push(event);
          emitted++;
        }
      }
      if (page.length < this.pageSize || this.lastSeq === before) return emitted;
      await this.drained();
    }
  }

  private push(event: SocketIngestionEvent): void {
    if (this.closed) return;
    this.emit(event);
    this.lastSeq = event.seq;
  }
}
