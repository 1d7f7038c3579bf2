// kafkajs 2.2.4 is pinned, with patches/kafkajs+2.2.4.patch applied by `npm install` (patch-package):
// unpatched, every broker connection re-armed a 1 ms timer forever, even idle (kafkajs issue #1556),
// which cost each service a few percent of a core while idle and far more under load.
import { createRequire } from 'node:module';
import { eventually } from '#testing';

interface PushedRequest {
  entry: { correlationId: number };
  expectResponse: boolean;
  sendRequest(): void;
}
interface RequestQueue {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  push(request: PushedRequest): void;
  checkPendingRequests(): void;
  destroy(): void;
}
type RequestQueueClass = new (options: Record<string, unknown>) => RequestQueue;

const require = createRequire(import.meta.url);
const RequestQueueImpl = require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const newQueue = () =>
  new RequestQueueImpl({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'test:9092',
    logger: quiet,
  });

describe('kafkajs request queue (patched)', () => {
  it('arms no timer when no request is pending', () => {
    const queue = newQueue();
    try {
      queue.checkPendingRequests();
      expect(queue.throttleCheckTimeoutId).toBeNull();
    } finally {
      queue.destroy();
    }
  });

  it('still sends a request held back by a broker throttle once the throttle ends', async () => {
    const queue = newQueue();
    try {
      queue.throttledUntil = Date.now() + 30;
      let sent = 0;
      queue.push({ entry: { correlationId: 1 }, expectResponse: true, sendRequest: () => sent++ });
      expect(sent).toBe(0);
      expect(queue.throttleCheckTimeoutId).not.toBeNull();
      await eventually(() => sent, { timeoutMs: 5_000, intervalMs: 5, what: 'the throttled request sent' });
      expect(sent).toBe(1);
      expect(queue.pending).toHaveLength(0);
      // Nothing pending any more: no timer is left armed.
      expect(queue.throttleCheckTimeoutId).toBeNull();
    } finally {
      queue.destroy();
    }
  });
});
