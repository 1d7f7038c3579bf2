/**
 * Runs async tasks (Kafka sends) with at most `limit` in flight. `run` waits for room, so a caller
 * pulling from a socket stops reading while Kafka is behind: that is the upload's backpressure, and
 * memory stays bounded at about `limit` chunks. The first failure is kept and rethrown by the next
 * `run` or by `drain`; tasks never reject unobserved.
 */
export class BoundedSender {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  get pending(): number {
    return this.inFlight.size;
  }

  async run(task: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight.size >= this.limit) {
      await Promise.race(this.inFlight);
      this.throwIfFailed();
    }
    const p: Promise<void> = task().then(
      () => {
        this.inFlight.delete(p);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.inFlight.delete(p);
      },
    );
    this.inFlight.add(p);
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
