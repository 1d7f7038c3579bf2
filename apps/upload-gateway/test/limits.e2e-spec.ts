import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { connect } from 'node:net';
import type { Admin } from 'kafkajs';
import { createKafka, ensureTopics, topicSpecs } from '#kafka';
import type pg from 'pg';
import { eventually, startService, testEnv, testPool, type RunningService } from '#testing';

const env = testEnv({ KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX}gwlimits.` });
const HEADER = 'region,origin_coord,destination_coord,datetime,datasource\n';
const ROW = 'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,cheap_mobile\n';

let gateway: RunningService;
let admin: Admin;
let pool: pg.Pool;

beforeAll(async () => {
  const kafka = createKafka(env, 'gw-limits');
  await ensureTopics(kafka, env);
  admin = kafka.admin();
  await admin.connect();
  pool = testPool();
  gateway = await startService('upload-gateway', {
    KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
    UPLOAD_MAX_CONCURRENT: '1',
    UPLOAD_RATE_LIMIT_PER_MINUTE: '3',
    HTTP_HEADERS_TIMEOUT_MS: '1000',
  });
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await admin?.deleteTopics({ topics: topicSpecs(env).map((t) => t.topic) }).catch(() => undefined);
  await admin?.disconnect();
  await pool?.end();
});

const post = async (body: string) => {
  const res = await fetch(`${gateway.url}/api/v1/ingestions`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'x-ingestion-id': randomUUID() },
    body,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
};

it('caps concurrent uploads (503 too_many_uploads, Retry-After) and uploads per address and minute (429)', async () => {
  // Upload 1 stays open: its header and a row are sent, the body never ends until we say so.
  const openId = randomUUID();
  const open = http.request(`${gateway.url}/api/v1/ingestions`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'x-ingestion-id': openId },
    agent: false,
  });
  const firstAnswer = new Promise<number>((resolve, reject) => {
    open.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    open.on('error', reject);
  });
  open.write(HEADER + ROW);
  // Wait until the gateway holds it (the ingestion row exists once the header was read).
  await eventually(
    async () => (await pool.query('SELECT 1 FROM meta.ingestions WHERE ingestion_id = $1', [openId])).rowCount === 1,
    { what: 'the first upload under way' },
  );

  const second = await post(HEADER + ROW);
  expect(second).toMatchObject({ status: 503, retryAfter: '5', body: { error: { code: 'too_many_uploads' } } });

  open.end(ROW);
  expect(await firstAnswer).toBe(202);
  expect((await post(HEADER + ROW)).status).toBe(202); // the third of the minute

  const fourth = await post(HEADER + ROW);
  expect(fourth).toMatchObject({ status: 429, body: { error: { code: 'too_many_requests' } } });
  expect(Number(fourth.retryAfter)).toBeGreaterThan(0);
}, 60_000);

it('drops a connection whose headers trickle in (slowloris) after HTTP_HEADERS_TIMEOUT_MS', async () => {
  const socket = connect(gateway.port, '127.0.0.1');
  socket.on('error', () => undefined); // the drip meeting the closed socket (EPIPE)
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const started = Date.now();
  socket.write('POST /api/v1/ingestions HTTP/1.1\r\nHost: x\r\n');
  // One more header line every 500 ms, never the blank line that ends them.
  const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: 1\r\n`), 500);
  try {
    // Node checks header deadlines every connectionsCheckingInterval (30 s by default).
    let timer: NodeJS.Timeout | undefined;
    const at = await Promise.race([closed, new Promise<number>((r) => (timer = setTimeout(() => r(0), 45_000)))]);
    clearTimeout(timer);
    expect(at).toBeGreaterThan(0);
    expect(at - started).toBeGreaterThanOrEqual(1_000);
  } finally {
    clearInterval(drip);
    socket.destroy();
  }
}, 60_000);
