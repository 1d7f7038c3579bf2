/**
 * Whether a kafkajs error may succeed when retried: the broker is down, restarting or electing a
 * leader. kafkajs marks the protocol errors that never will (MESSAGE_TOO_LARGE, an authorization or
 * invalid-request error) `retriable: false`; one of those anywhere in the cause chain is permanent.
 * Its own "retries exhausted" error wraps the last cause and is judged by it.
 */
export function isTransientKafkaError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? '';
  if (!name.startsWith('KafkaJS')) return false;
  for (let e = error as { name?: string; retriable?: boolean; cause?: unknown } | undefined; e;) {
    if (e.name === 'KafkaJSProtocolError' && e.retriable === false) return false;
    e = e.cause as typeof e;
  }
  return true;
}
