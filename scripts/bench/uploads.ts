// Concurrent uploads against one upload-gateway: N uploads of the same generated file (generate.ts,
// cached under .cache/bench) started at once; prints their statuses, the time until the last answer
// and the gateway's peak RSS (sampled every 50 ms), the figure behind UPLOAD_MAX_CONCURRENT. Only the
// gateway runs (its raw chunks go to Kafka, nothing consumes them), with UPLOAD_MAX_CONCURRENT and
// UPLOAD_RATE_LIMIT_PER_MINUTE lifted so that every upload streams. Its own database and topics are
// removed at the end; a Kafka broker it had to start is stopped again.
// Usage: npm run build && node dist/scripts/bench/uploads.js [--rows 50000] [--uploads 32]
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '#config';
import { createKafka, ensureTopics } from '#kafka';
import { dropBenchDatabase, freshBenchDatabase } from './database.js';
import { benchFile } from './reference.js';
import { deleteTopics, rssMb, startKafkaIfNeeded, startService, Teardown } from './stack.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    uploads: { type: 'string', default: '32' },
  },
});
const rows = Number(values.rows);
const uploads = Number(values.uploads);
const say = (msg: string) => process.stdout.write(`[uploads] ${msg}\n`);

const teardown = new Teardown(say);
let exitCode = 0;
try {
  const file = await benchFile(rows, say);
  startKafkaIfNeeded(teardown, say);
  const name = 'trips_bench_uploads';
  const url = await freshBenchDatabase(name);
  teardown.add('drop the database', () => dropBenchDatabase(url));
  const prefix = `bench-uploads-${Date.now().toString(36)}.`;
  const env = loadConfig({ ...process.env, DATABASE_URL: url, KAFKA_TOPIC_PREFIX: prefix });
  teardown.add('delete the topics', () => deleteTopics(env, prefix));
  await ensureTopics(createKafka(env, 'bench-uploads'), env);
  const gateway = await startService(
    'upload-gateway',
    {
      DATABASE_URL: url,
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      UPLOAD_MAX_CONCURRENT: String(uploads),
      UPLOAD_RATE_LIMIT_PER_MINUTE: '0',
    },
    teardown,
  );
  const idle = rssMb(gateway.child.pid) ?? Number.NaN;
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.child.pid) ?? 0)), 50);
  const t = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: uploads }, async () => {
      const res = await fetch(`${gateway.url}/api/v1/ingestions`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        duplex: 'half',
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  clearInterval(sampler);
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  say(
    `${uploads} uploads of ${rows.toLocaleString('en')} rows (${(statSync(file).size / 1e6).toFixed(1)} MB) at once: ` +
      `answers ${Object.entries(counts)
        .map(([s, n]) => `${s} × ${n}`)
        .join(', ')} after ${((performance.now() - t) / 1000).toFixed(1)} s; gateway RSS ${idle.toFixed(0)} MB idle, ` +
      `peak ${peak.toFixed(0)} MB`,
  );
  if (statuses.some((s) => s !== 202)) exitCode = 1;
} catch (error) {
  say(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await teardown.run();
}
process.exit(exitCode);
