/** Polls `probe` until it returns a value accepted by `accept` (default: truthy); never a fixed sleep. */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number; accept?: (value: T) => boolean; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100, accept = (v: T) => Boolean(v), what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError
        ? ` (last error: ${(lastError as Error).message})`
        : ` (last value: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
