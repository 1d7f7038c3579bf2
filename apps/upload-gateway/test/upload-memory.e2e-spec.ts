import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Admin } from 'kafkajs';
import { createKafka, ensureTopics, topicSpecs } from '#kafka';
import { startService, testEnv, type RunningService } from '#testing';

/*
 * The gateway never holds the file: a body several times larger than its V8 heap streams through a
 * child process started with a 64 MB heap, while the test samples the child's resident memory.
 */

/** 300 MB passes too (20 s on an idle 2-core machine); 150 MB keeps the spec well under a minute on a busy one. */
const BODY_MB = 150;
const HEAP_MB = 64;
/** Idle RSS of the gateway (NestJS, Swagger, kafkajs, pg) is ~120 MB; streaming adds a bounded ~60–70 MB. */
const RSS_LIMIT_MB = 256;

const env = testEnv({ KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX}gwmem.` });
const HEADER = 'region,origin_coord,destination_coord,datetime,datasource\n';

let gateway: RunningService;
let admin: Admin;

beforeAll(async () => {
  const kafka = createKafka(env, 'gw-memory');
  await ensureTopics(kafka, env);
  admin = kafka.admin();
  await admin.connect();
  gateway = await startService('upload-gateway', {
    KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
    NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
  });
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  // A few hundred MB of chunks nobody consumes: give the broker its disk back.
  await admin?.deleteTopics({ topics: topicSpecs(env).map((t) => t.topic) }).catch(() => undefined);
  await admin?.disconnect();
});

/** ~BODY_MB of trips generated piece by piece (never the whole body in memory), hashed and counted as it goes. */
function generatedCsv(targetBytes: number) {
  const stats = { bytes: 0, rows: 0, hash: createHash('sha256') };
  async function* pieces() {
    const header = Buffer.from(HEADER);
    stats.hash.update(header);
    stats.bytes += header.length;
    yield header;
    let n = 0;
    while (stats.bytes < targetBytes) {
      const rows: string[] = [];
      for (let i = 0; i < 2000; i++, n++) {
        const origin = `POINT (${(14.3 + (n % 997) / 3000).toFixed(6)} ${(50 + (n % 991) / 5000).toFixed(6)})`;
        const destination = `POINT (${(14.3 + (n % 983) / 3000).toFixed(6)} ${(50 + (n % 977) / 5000).toFixed(6)})`;
        const day = String(1 + (n % 28)).padStart(2, '0');
        const time = `${String(n % 24).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:${String((n * 7) % 60).padStart(2, '0')}`;
        rows.push(`Prague,${origin},${destination},2018-05-${day} ${time},cheap_mobile\n`);
      }
      const piece = Buffer.from(rows.join(''));
      stats.hash.update(piece);
      stats.bytes += piece.length;
      stats.rows += rows.length;
      yield piece;
    }
  }
  return { body: Readable.from(pieces()), stats };
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

it(`streams a ${BODY_MB} MB chunked upload through a ${HEAP_MB} MB heap with bounded memory`, async () => {
  const pid = gateway.child.pid!;
  const idle = rssMb(pid);
  let peak = idle;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  const { body, stats } = generatedCsv(BODY_MB * 1e6);
  const started = Date.now();
  try {
    const response = new Promise<{ status: number; json: any }>((resolve, reject) => {
      // No Content-Length: Transfer-Encoding chunked, as a client streaming a file it is still producing.
      const req = http.request(`${gateway.url}/api/v1/ingestions`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'x-file-name': 'generated.csv' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      pipeline(body, req).catch(reject);
    });
    const { status, json } = await response;
    const seconds = (Date.now() - started) / 1000;
    expect(status).toBe(202);
    expect(json.upload).toEqual({
      bytes: stats.bytes,
      rows: stats.rows,
      chunks: expect.any(Number),
      sha256: stats.hash.digest('hex'),
    });
    expect(json.upload.chunks).toBeGreaterThan(BODY_MB); // ~512 KiB each
    peak = Math.max(peak, rssMb(pid));
    process.stdout.write(
      `[upload-memory] ${(stats.bytes / 1e6).toFixed(0)} MB, ${stats.rows} rows in ${seconds.toFixed(1)} s ` +
        `(${(stats.bytes / 1e6 / seconds).toFixed(1)} MB/s, ${Math.round(stats.rows / seconds)} rows/s); gateway RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB\n`,
    );
  } finally {
    clearInterval(sampler);
  }
  // Holding the body would need idle + BODY_MB; the heap limit alone would not catch Buffers (off-heap).
  expect(peak).toBeLessThan(RSS_LIMIT_MB);
  expect(peak - idle).toBeLessThan(BODY_MB / 2);
}, 120_000);

/** A gzip body of the header, then one quoted field of `fieldMb` MB with no line end (~1 KB of gzip per MB). */
async function longFieldBomb(fieldMb: number): Promise<Buffer> {
  async function* plain() {
    yield Buffer.from(`${HEADER}"`);
    const mb = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < fieldMb; i++) yield mb;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(plain()), createGzip({ level: 9 }), async (gz: AsyncIterable<Buffer>) => {
    for await (const piece of gz) out.push(piece);
  });
  return Buffer.concat(out);
}

it('stops a gzip bomb holding one 400 MB field at UPLOAD_MAX_RECORD_BYTES: 422 record_too_large, bounded memory', async () => {
  const bomb = await longFieldBomb(400);
  expect(bomb.length).toBeLessThan(1024 * 1024);
  const pid = gateway.child.pid!;
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  try {
    const res = await fetch(`${gateway.url}/api/v1/ingestions`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip' },
      body: bomb,
      signal: AbortSignal.timeout(30_000),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      error: { code: 'record_too_large', details: { line: 2, limit: 1024 * 1024 } },
    });
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssMb(pid));
  expect(peak).toBeLessThan(RSS_LIMIT_MB);
}, 60_000);
