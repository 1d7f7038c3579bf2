import type { Env } from '#config';

/**
 * Settings of every query-api session, sent as startup options of each new connection (no extra
 * round trip). JIT off: the area queries are many short index range scans whose cost estimates cross
 * the JIT threshold, and compiling them costs more (hundreds of ms) than running them. No parallel
 * workers: the planner cannot estimate the cell filters, plans workers for reads of a few index
 * entries, and their start costs ≈ 150 ms; off, the 10M query bench's p95 fell from 110–116 to
 * 95–98 ms and trip-group pages with a box from 0.58 s to 0.07 s (docs/benchmarks.md, session 8).
 * A statement timeout keeps a pathological request from holding a connection.
 */
export const querySessionSettings = (env: Env): Record<string, string> => ({
  jit: 'off',
  max_parallel_workers_per_gather: '0',
  statement_timeout: String(env.QUERY_API_STATEMENT_TIMEOUT_MS),
});
