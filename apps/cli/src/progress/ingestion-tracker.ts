import type { SocketIngestionEvent } from '#contracts';
import type { Reporter } from '../output/reporter.js';
import { applyEvent, initialProgress, isFinished, type IngestionProgress } from './ingestion-progress.js';

/** Follows one ingestion's events into its progress, reports each new one, and resolves when it ends. */
export class IngestionTracker {
  private current: IngestionProgress;
  private resolveFinished!: (p: IngestionProgress) => void;
  /** Resolves with the final state on `ingestion.completed` or `ingestion.failed`. */
  readonly finished: Promise<IngestionProgress>;

  constructor(
    ingestionId: string,
    private readonly reporter: Reporter,
  ) {
    this.current = initialProgress(ingestionId.toLowerCase());
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get progress(): IngestionProgress {
    return this.current;
  }

  apply(event: SocketIngestionEvent): void {
    const next = applyEvent(this.current, event);
    if (next === this.current) return;
    this.current = next;
    this.reporter.event(event, next);
    if (isFinished(next)) this.resolveFinished(next);
  }
}
