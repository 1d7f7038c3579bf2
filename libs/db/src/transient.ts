/** Node socket and DNS error codes of a dependency that is unreachable for now. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL (SQLSTATE) and network errors worth retrying: the database is unreachable, restarting,
 * out of a resource for now, or the conflict is transient. Anything else (a constraint, a syntax
 * error, bad data) would fail again.
 */
export function isTransientDbError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  if (!code) {
    const msg = String((error as Error | null)?.message ?? '');
    // pg's own messages: a connection ended mid-query, a pooled client whose connection already broke
    // (its next query is refused; the pool drops the client when it is released as broken).
    return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect|encountered a connection error and is not queryable/i.test(
      msg,
    );
  }
  return (
    NETWORK_CODES.has(code) ||
    // Connection exceptions, but not 08P01 protocol_violation: the server refused what the client
    // sent (e.g. a binary COPY of a column type the schema no longer has), which a retry repeats.
    (code.startsWith('08') && code !== '08P01') ||
    code.startsWith('53') || // insufficient resources: disk full, out of memory, too many connections
    code === '40001' || // serialization_failure
    code === '40P01' || // deadlock_detected
    code === '55P03' || // lock_not_available
    code === '57014' || // query_canceled (by an operator or a timeout)
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' // cannot_connect_now (starting up)
  );
}
