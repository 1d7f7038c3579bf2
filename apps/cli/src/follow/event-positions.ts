/** The minimal shape needed to order events: per-ingestion sequence numbers 1, 2, 3, … */
export interface SequencedEvent {
  ingestionId: string;
  seq: number;
}

/**
 * Last seq delivered per ingestion. An event at or below it is a duplicate (a replay overlapping the
 * live stream, a subscription sent twice around a reconnect) and is dropped; the position is what a
 * re-subscription passes as `afterSeq`.
 */
export class EventPositions {
  private readonly last = new Map<string, number>();

  /** True (and the position moves) when the event is new. */
  accept(event: SequencedEvent): boolean {
    const id = event.ingestionId.toLowerCase();
    if (event.seq <= (this.last.get(id) ?? 0)) return false;
    this.last.set(id, event.seq);
    return true;
  }

  get(ingestionId: string): number {
    return this.last.get(ingestionId.toLowerCase()) ?? 0;
  }

  /** Starts an ingestion at a known position (never moves backwards). */
  advance(ingestionId: string, seq: number): void {
    const id = ingestionId.toLowerCase();
    if (seq > (this.last.get(id) ?? 0)) this.last.set(id, seq);
  }
}
