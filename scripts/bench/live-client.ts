// The independent socket.io client of `run.ts --live`, in a process of its own so that the bench's own
// work (streaming the upload, sampling) does not delay its event loop: it follows the notifier's
// all-ingestions feed at argv[2], prints `ready` once subscribed, then one JSON line per event with
// its arrival minus `occurredAt` (the services and this client share the machine's clock). It stops
// when its stdin closes.
import type { SocketIngestionEvent } from '#contracts';
import { NotifierClient } from '../../apps/cli/src/follow/notifier-client.js';
import type { LiveDelay } from './live.js';

const client = new NotifierClient(process.argv[2], (e: SocketIngestionEvent) => {
  const delay: LiveDelay = {
    eventId: e.eventId,
    type: e.type,
    occurredAt: e.occurredAt,
    ms: Date.now() - Date.parse(e.occurredAt),
  };
  process.stdout.write(`${JSON.stringify(delay)}\n`);
});
process.stdin.on('end', () => client.close()).resume();
await client.connect();
await client.followAll();
process.stdout.write('ready\n');
