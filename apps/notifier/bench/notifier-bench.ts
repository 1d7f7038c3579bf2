/**
 * Measures the notifier end to end on this machine: events published to Kafka → stored in
 * meta.events → announced by NOTIFY → received by socket.io clients; then the replay of one long
 * history to a late subscriber. Uses a database and topic prefix of its own and removes both.
 *
 *   npx tsc -p tsconfig.build.json && node dist/apps/notifier/bench/notifier-bench.js [ingestions] [eventsPerIngestion] [clients]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { freePort, loadConfig } from '#config';
import {
  makeEvent,
  SOCKET_NAMESPACE,
  type IngestionEvent,
  type SocketIngestionEvent,
  type SubscribeAck,
} from '#contracts';
import { dropDatabase, ensureDatabase, repoRoot, runMigrations } from '#db';
import { createKafka, ensureTopics, Publisher, topicSpecs } from '#kafka';

const [ingestions = 20, perIngestion = 500, clientCount = 20] = process.argv.slice(2).map(Number);
const runId = Date.now().toString(36);
const base = new URL(loadConfig().DATABASE_URL);
base.pathname = `/trips_bench_notifier_test_${runId}`;
const databaseUrl = base.toString();
const prefix = `bench-nt-${runId}.`;
const env = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const events = (id: string, n: number): IngestionEvent[] =>
  Array.from({ length: n }, (_, i) =>
    makeEvent('upload.progress', id, { bytes: i * 1000, rows: i * 10, chunks: i }, i + 1),
  );

await ensureDatabase(databaseUrl);
await runMigrations(databaseUrl);
const kafka = createKafka(env, 'notifier-bench');
await ensureTopics(kafka, env);
const publisher = new Publisher(kafka, env);
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps/notifier/src/main.js')], {
  env: {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_TOPIC_PREFIX: prefix,
    NOTIFIER_PORT: String(port),
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

try {
  await waitUntil(async () => (await fetch(`${url}/health`)).status === 200, 'notifier /health');
  const total = ingestions * perIngestion;
  const clients = Array.from({ length: clientCount }, () =>
    io(`${url}${SOCKET_NAMESPACE}`, { transports: ['websocket'] }),
  );
  const received = clients.map(() => 0);
  clients.forEach((c, i) => c.on('ingestion.event', () => received[i]++));
  for (const c of clients) await c.timeout(10_000).emitWithAck('subscribe', { all: true });

  const ids = Array.from({ length: ingestions }, () => randomUUID());
  const t0 = performance.now();
  for (let i = 0; i < perIngestion; i += 100) {
    await publisher.publishEvents(ids.flatMap((id) => events(id, perIngestion).slice(i, i + 100)));
  }
  const published = performance.now() - t0;
  await waitUntil(() => received.every((n) => n >= total), `${total} events on ${clientCount} clients`);
  const live = performance.now() - t0;
  console.log(
    `live: ${total} events (${ingestions} ingestions × ${perIngestion}) → ${clientCount} clients in ${(live / 1000).toFixed(2)} s ` +
      `= ${Math.round(total / (live / 1000))} events/s stored and fanned out (${Math.round((total * clientCount) / (live / 1000))} deliveries/s); ` +
      `publishing took ${(published / 1000).toFixed(2)} s`,
  );

  const late = io(`${url}${SOCKET_NAMESPACE}`, { transports: ['websocket'] });
  const replayed: SocketIngestionEvent[] = [];
  late.on('ingestion.event', (e: SocketIngestionEvent) => replayed.push(e));
  const t1 = performance.now();
  const ack = (await late.timeout(60_000).emitWithAck('subscribe', { ingestionId: ids[0] })) as SubscribeAck;
  const replayMs = performance.now() - t1;
  const ordered = replayed.every((e, i) => e.seq === i + 1);
  console.log(
    `replay: ${JSON.stringify(ack)} — ${replayed.length} events in ${replayMs.toFixed(0)} ms, seq 1..N in order: ${ordered}`,
  );
  for (const c of [...clients, late]) c.disconnect();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await publisher.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topicSpecs(env).map((t) => t.topic) }).catch(() => undefined);
  await admin.deleteGroups([`${prefix}notifier`]).catch(() => undefined);
  await admin.disconnect();
  await dropDatabase(databaseUrl);
}
