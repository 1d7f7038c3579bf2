/**
 * Per-key rate limiter for progress events: `due(key)` is true at most once per interval per key.
 * `force` paths (completion) bypass it.
 */
export class Throttle {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  due(key: string, now = Date.now()): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.set(key, now);
    if (this.last.size > 10_000) this.last.delete(this.last.keys().next().value as string);
    return true;
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
