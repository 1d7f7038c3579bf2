import type { Env } from '#config';

/**
 * Settings of every query-api session, sent as startup options of each new connection (no extra
 * round trip). JIT off: the area queries are many short index range scans whose cost estimates cross
 * the JIT threshold, and compiling them costs more (hundreds of ms) than running them. A statement
 * timeout keeps a pathological request from holding a connection.
 */
export const querySessionSettings = (env: Env): Record<string, string> => ({
  jit: 'off',
  statement_timeout: String(env.QUERY_API_STATEMENT_TIMEOUT_MS),
});
