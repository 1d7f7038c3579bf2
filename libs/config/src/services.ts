import { createServer } from 'node:net';
import type { Env } from './config.js';

/** The services of the system and the variable that sets each one's HTTP port. */
export const PORT_KEYS = {
  'upload-gateway': 'UPLOAD_GATEWAY_PORT',
  'bronze-loader': 'BRONZE_LOADER_PORT',
  transformer: 'TRANSFORMER_PORT',
  'query-api': 'QUERY_API_PORT',
  notifier: 'NOTIFIER_PORT',
} as const satisfies Record<string, keyof Env>;

export type ServiceName = keyof typeof PORT_KEYS;

/** A free TCP port on loopback, to start a service on a port of its own (tests, bench and load scripts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
