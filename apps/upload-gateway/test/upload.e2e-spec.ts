import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Admin, Consumer } from 'kafkajs';
import type pg from 'pg';
import {
  decodeRawChunkHeaders,
  parseIngestionEvent,
  type IngestionEvent,
  type RawChunkV1,
  type RawUploadEndV1,
} from '#contracts';
import { splitRecords } from '#csv';
import { repoRoot } from '#db';
import { createKafka, ensureTopics, topic, topicSpecs } from '#kafka';
import { eventually, startService, testEnv, testPool, type RunningService } from '#testing';

/*
 * The gateway as a real process (dist/), its own topic prefix so no other spec's consumers see these
 * uploads, the real broker and PostgreSQL. Every upload is read back from the raw topic.
 */

const env = testEnv({ KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX}gw.` });
const CHUNK_BYTES = 4096;
const MAX_BYTES = 500_000;
const MAX_RECORD_BYTES = 64 * 1024;
const fixture = (path: string) => readFileSync(join(repoRoot(), 'test/fixtures/csv', path));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const SAMPLE_GZ = fixture('ok/sample.csv.gz');
const SAMPLE = gunzipSync(SAMPLE_GZ);
/** The sample's data records: everything after the header line. */
const dataOf = (file: Buffer) => (file.includes('\n') ? file.subarray(file.indexOf('\n') + 1) : Buffer.alloc(0));

interface RawRecord {
  key: string;
  value: Buffer;
  meta: RawChunkV1 | RawUploadEndV1;
}

let gateway: RunningService;
let pool: pg.Pool;
let admin: Admin;
let consumer: Consumer;
const raw = new Map<string, RawRecord[]>();
const events = new Map<string, IngestionEvent[]>();
const push = <T>(map: Map<string, T[]>, id: string, v: T) => map.set(id, [...(map.get(id) ?? []), v]);

beforeAll(async () => {
  const kafka = createKafka(env, 'gw-e2e');
  await ensureTopics(kafka, env);
  admin = kafka.admin();
  await admin.connect();
  consumer = kafka.consumer({ groupId: `${env.KAFKA_TOPIC_PREFIX}e2e-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic(env, 'rawChunks'), topic(env, 'ingestionEvents')], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: t, message }) => {
      if (t === topic(env, 'rawChunks')) {
        const meta = decodeRawChunkHeaders(message.headers);
        push(raw, meta.ingestionId, { key: String(message.key), value: message.value ?? Buffer.alloc(0), meta });
      } else {
        const event = parseIngestionEvent(JSON.parse(String(message.value)));
        push(events, event.ingestionId, event);
      }
    },
  });
  pool = testPool();
  gateway = await startService('upload-gateway', {
    KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
    UPLOAD_CHUNK_BYTES: String(CHUNK_BYTES),
    UPLOAD_MAX_BYTES: String(MAX_BYTES),
    UPLOAD_MAX_RECORD_BYTES: String(MAX_RECORD_BYTES),
    PROGRESS_INTERVAL_MS: '0',
    QUERY_API_PUBLIC_URL: 'http://query.example:3001/',
    NOTIFIER_PUBLIC_URL: 'http://notifier.example:3002',
  });
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await consumer?.disconnect();
  await admin?.deleteTopics({ topics: topicSpecs(env).map((t) => t.topic) }).catch(() => undefined);
  await admin?.disconnect();
  await pool?.end();
});

const url = () => `${gateway.url}/api/v1/ingestions`;

type Body = NonNullable<RequestInit['body']>;

async function post(body: Body, headers: Record<string, string> = {}) {
  const res = await fetch(url(), { method: 'POST', body, headers, duplex: 'half' });
  return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as Record<string, any> };
}

const csv = (body: Buffer | string, headers: Record<string, string> = {}) =>
  post(body, { 'content-type': 'text/csv', ...headers });

function form(file: Buffer | undefined, fileName = 'trips.csv'): FormData {
  const f = new FormData();
  f.append('comment', 'ignored field before the file');
  if (file) f.append('file', new Blob([file]), fileName);
  f.append('trailer', 'ignored field after the file');
  return f;
}

async function ingestionRow(id: string) {
  const { rows } = await pool.query('SELECT * FROM meta.ingestions WHERE ingestion_id = $1', [id]);
  return rows[0] as Record<string, any> | undefined;
}

/** Waits for the end marker, then checks the chunks against the file: order, bytes, line numbers, rows. */
async function expectInKafka(id: string, file: Buffer, rows: number): Promise<RawChunkV1[]> {
  // Chunks and the end marker sit on different partitions: wait until all the marker announces are here.
  const complete = (r: RawRecord[] | undefined) => {
    const end = r?.find((m) => m.meta.kind === 'end')?.meta as RawUploadEndV1 | undefined;
    return end !== undefined && r!.filter((m) => m.meta.kind === 'chunk').length >= end.totalChunks;
  };
  const records = (await eventually(() => raw.get(id), {
    accept: complete,
    what: `all chunks and the end marker of ${id}`,
  }))!;
  const chunks = records
    .filter((r) => r.meta.kind === 'chunk')
    .sort((a, b) => (a.meta as RawChunkV1).seq - (b.meta as RawChunkV1).seq);
  const metas = chunks.map((c) => c.meta as RawChunkV1);
  expect(metas.map((m) => m.seq)).toEqual(metas.map((_, i) => i));
  expect(chunks.map((c) => c.key)).toEqual(metas.map((m) => `${id}:${m.seq}`));

  // Chunks in seq order are exactly the data records of the file (plus a final newline if it had none).
  const data = dataOf(file);
  const joined = Buffer.concat(chunks.map((c) => c.value));
  expect(joined.toString()).toBe(
    data.length && !data.toString().endsWith('\n') ? `${data.toString()}\n` : data.toString(),
  );

  // Each chunk's firstLine continues where the previous chunk's lines ended; records keep their file line numbers.
  let line = 2;
  const lines: number[] = [];
  for (const c of chunks) {
    const meta = c.meta as RawChunkV1;
    expect(meta.firstLine).toBe(line);
    lines.push(...splitRecords(c.value, meta.firstLine).map((r) => r.line));
    line += c.value.toString().split('\n').length - 1;
  }
  expect(lines).toEqual(splitRecords(data, 2).map((r) => r.line));
  expect(lines).toHaveLength(rows);

  const end = records.filter((r) => r.meta.kind === 'end');
  expect(end).toHaveLength(1);
  expect(end[0].key).toBe(`${id}:end`);
  expect(end[0].meta).toEqual({ kind: 'end', ingestionId: id, totalChunks: chunks.length, totalRows: rows });
  return metas;
}

async function expectProcessing(id: string, file: Buffer, rows: number, chunks: number) {
  const row = await ingestionRow(id);
  expect(row).toMatchObject({
    state: 'processing',
    upload_sha256: sha256(file),
    upload_bytes: String(file.length),
    upload_rows: String(rows),
    upload_chunks: chunks,
    total_chunks: chunks,
    total_rows: String(rows),
  });
  expect(row?.upload_completed_at).toBeInstanceOf(Date);
}

async function eventTypes(id: string, last: string): Promise<string[]> {
  const list = await eventually(() => events.get(id), {
    accept: (e) => Boolean(e?.some((x) => x.type === last)),
    what: `${last} of ${id}`,
  });
  return list!.map((e) => e.type);
}

/** Offsets of the gateway's topics and the ingestion count: a rejected request must change neither. */
async function snapshot() {
  const high = async (key: 'rawChunks' | 'ingestionEvents') =>
    (await admin.fetchTopicOffsets(topic(env, key))).reduce((sum, p) => sum + Number(p.high), 0);
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM meta.ingestions');
  return { raw: await high('rawChunks'), events: await high('ingestionEvents'), ingestions: Number(rows[0].n) };
}

describe('POST /api/v1/ingestions', () => {
  it('streams a text/csv body into Kafka in chunks of whole records and answers 202 with the figures', async () => {
    const res = await csv(SAMPLE, { 'x-file-name': 'trips.csv' });
    expect(res.status).toBe(202);
    const id = res.body.ingestionId as string;
    expect(res.body).toEqual({
      ingestionId: id,
      state: 'processing',
      statusUrl: `http://query.example:3001/api/v1/ingestions/${id}`,
      socket: {
        url: 'http://notifier.example:3002',
        namespace: '/ingestions',
        room: `ingestion:${id}`,
        event: 'ingestion.event',
      },
      upload: { bytes: SAMPLE.length, rows: 100, chunks: expect.any(Number), sha256: sha256(SAMPLE) },
    });
    expect(res.location).toBe(res.body.statusUrl);

    const chunks = await expectInKafka(id, SAMPLE, 100);
    expect(chunks.length).toBeGreaterThanOrEqual(3); // 12.8 KB at 4 KiB per chunk
    expect(res.body.upload.chunks).toBe(chunks.length);
    expect(chunks[0].columns).toEqual(['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource']);
    await expectProcessing(id, SAMPLE, 100, chunks.length);
    expect(await ingestionRow(id)).toMatchObject({
      file_name: 'trips.csv',
      content_type: 'text/csv',
      gzip: false,
      ignored_columns: [],
    });

    const types = await eventTypes(id, 'upload.completed');
    expect(types[0]).toBe('ingestion.accepted');
    expect(types.at(-1)).toBe('upload.completed');
    const completed = events.get(id)!.at(-1)!;
    expect(completed).toMatchObject({
      eventId: `upload.completed:${id}`,
      data: { chunks: chunks.length, rows: 100, bytes: SAMPLE.length, sha256: sha256(SAMPLE) },
    });
  });

  it('takes the file part of a multipart form (other fields ignored) and records its filename', async () => {
    const res = await post(form(SAMPLE, 'may-trips.csv'));
    expect(res.status).toBe(202);
    const id = res.body.ingestionId as string;
    const chunks = await expectInKafka(id, SAMPLE, 100);
    await expectProcessing(id, SAMPLE, 100, chunks.length);
    expect(await ingestionRow(id)).toMatchObject({ file_name: 'may-trips.csv', content_type: 'multipart/form-data' });
  });

  it.each([
    ['an application/gzip body', () => post(SAMPLE_GZ, { 'content-type': 'application/gzip' })],
    ['an application/octet-stream .gz body', () => post(SAMPLE_GZ, { 'content-type': 'application/octet-stream' })],
    ['a text/csv body with Content-Encoding: gzip', () => csv(SAMPLE_GZ, { 'content-encoding': 'gzip' })],
    ['a .csv.gz file in a multipart form', () => post(form(SAMPLE_GZ, 'sample.csv.gz'))],
  ])('gunzips %s as a stream', async (_what, upload) => {
    const res = await upload();
    expect(res.status).toBe(202);
    expect(res.body.upload).toMatchObject({ rows: 100, bytes: SAMPLE.length, sha256: sha256(SAMPLE) });
    const id = res.body.ingestionId as string;
    const chunks = await expectInKafka(id, SAMPLE, 100);
    await expectProcessing(id, SAMPLE, 100, chunks.length);
    expect(await ingestionRow(id)).toMatchObject({ gzip: true });
  });

  it.each([
    ['quoted-fields.csv', 5, []],
    ['crlf.csv', 4, []],
    ['bom.csv', 3, []],
    ['columns-reordered.csv', 3, []],
    ['extra-columns.csv', 3, ['trip_id', 'notes']],
    ['unpadded-hour.csv', 3, []],
    ['negative-coords.csv', 4, []],
  ])('accepts ok/%s with %i rows', async (name, rows, ignored) => {
    const file = fixture(`ok/${name}`);
    const res = await csv(file);
    expect(res.status).toBe(202);
    const id = res.body.ingestionId as string;
    const chunks = await expectInKafka(id, file, rows);
    await expectProcessing(id, file, rows, chunks.length);
    expect(await ingestionRow(id)).toMatchObject({ ignored_columns: ignored });
    await eventTypes(id, 'upload.completed');
    expect(events.get(id)![0]).toMatchObject({ type: 'ingestion.accepted', data: { ignoredColumns: ignored } });
  });

  it('keeps quoted newlines inside one record and numbers records by their physical first line', async () => {
    const file = fixture('ok/quoted-fields.csv');
    const res = await csv(file);
    const chunks = await expectInKafka(res.body.ingestionId, file, 5);
    const values = raw.get(res.body.ingestionId)!.filter((r) => r.meta.kind === 'chunk');
    const lines = values.flatMap((v) => splitRecords(v.value, (v.meta as RawChunkV1).firstLine).map((r) => r.line));
    expect(lines).toEqual([2, 3, 4, 6, 8]);
    expect(chunks[0].firstLine).toBe(2);
  });

  it('accepts the bad-rows fixture at the gateway (rows are judged downstream) and a header-only file', async () => {
    const bad = fixture('not-ok/bad-rows.csv');
    const res = await csv(bad);
    expect(res.status).toBe(202);
    await expectInKafka(res.body.ingestionId, bad, 9);

    const headerOnly = Buffer.from('region,origin_coord,destination_coord,datetime,datasource');
    const empty = await csv(headerOnly);
    expect(empty.status).toBe(202);
    expect(empty.body.upload).toMatchObject({ rows: 0, chunks: 0, bytes: headerOnly.length });
    await expectInKafka(empty.body.ingestionId, headerOnly, 0);
    await expectProcessing(empty.body.ingestionId, headerOnly, 0, 0);
  });

  it('reports throttled progress while a larger body streams in', async () => {
    const file = Buffer.concat([SAMPLE, ...Array.from({ length: 20 }, () => dataOf(SAMPLE))]);
    const pieces = Array.from({ length: Math.ceil(file.length / 16_384) }, (_, i) =>
      file.subarray(i * 16_384, (i + 1) * 16_384),
    );
    const res = await post(Readable.from(pieces), { 'content-type': 'text/csv' });
    expect(res.status).toBe(202);
    const id = res.body.ingestionId as string;
    await expectInKafka(id, file, 2100);
    await eventTypes(id, 'upload.completed');
    const progress = events.get(id)!.filter((e) => e.type === 'upload.progress');
    expect(progress.length).toBeGreaterThan(1);
    const counts = progress.map((e) => (e.data as { chunks: number }).chunks);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(progress.map((e) => e.eventId)).size).toBe(progress.length);
    expect(events.get(id)!.at(-1)!.type).toBe('upload.completed');
  });

  it('uses a client-chosen X-Ingestion-Id, and answers 409 on reuse without publishing anything', async () => {
    const id = randomUUID();
    const first = await csv(SAMPLE, { 'x-ingestion-id': id.toUpperCase() });
    expect(first.status).toBe(202);
    expect(first.body.ingestionId).toBe(id);
    await expectInKafka(id, SAMPLE, 100);
    await eventTypes(id, 'upload.completed');

    const before = await snapshot();
    const eventsBefore = events.get(id)!.length;
    const again = await csv(SAMPLE, { 'x-ingestion-id': id });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ingestion_exists' } } });
    expect(await snapshot()).toEqual(before);
    expect(events.get(id)).toHaveLength(eventsBefore);
    expect(await ingestionRow(id)).toMatchObject({ state: 'processing' });
  });

  describe('rejects before creating or publishing anything', () => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('\0\0\0\rIHDR\0\0\x01\0'),
      fixture('not-ok/binary.bin'),
    ]);
    const cases: [string, () => ReturnType<typeof post>, number, string][] = [
      [
        'an unsupported Content-Type',
        () => post(SAMPLE, { 'content-type': 'application/json' }),
        415,
        'unsupported_media_type',
      ],
      [
        'plain CSV sent as application/octet-stream',
        () => post(SAMPLE, { 'content-type': 'application/octet-stream' }),
        415,
        'unsupported_media_type',
      ],
      [
        'an unsupported Content-Encoding',
        () => csv(SAMPLE, { 'content-encoding': 'br' }),
        415,
        'unsupported_media_type',
      ],
      ['an empty body (empty.csv)', () => csv(fixture('not-ok/empty.csv')), 400, 'empty_body'],
      ['a body of only a BOM and whitespace', () => csv(Buffer.from('\ufeff \r\n\n\t')), 400, 'empty_body'],
      ['random bytes (binary.bin)', () => csv(fixture('not-ok/binary.bin')), 400, 'not_csv'],
      ['a PNG', () => csv(png), 400, 'not_csv'],
      ['a header of 64 KiB without a newline', () => csv(Buffer.alloc(70_000, 'a')), 400, 'not_csv'],
      [
        'a missing column (missing-column.csv)',
        () => csv(fixture('not-ok/missing-column.csv')),
        422,
        'missing_columns',
      ],
      [
        'duplicate columns',
        () => csv(`region,origin_coord,destination_coord,datetime,datasource,REGION\n${dataOf(SAMPLE).toString()}`),
        422,
        'duplicate_columns',
      ],
      ['a multipart form without a file field', () => post(form(undefined)), 400, 'missing_file_field'],
      [
        'an X-Ingestion-Id that is not a UUID',
        () => csv(SAMPLE, { 'x-ingestion-id': '1234' }),
        400,
        'invalid_ingestion_id',
      ],
      [
        'application/gzip with bytes that are not gzip',
        () => post(SAMPLE, { 'content-type': 'application/gzip' }),
        400,
        'bad_gzip',
      ],
      [
        'gzip magic bytes followed by garbage',
        () => csv(Buffer.concat([Buffer.from([0x1f, 0x8b]), fixture('not-ok/binary.bin')])),
        400,
        'bad_gzip',
      ],
    ];

    it.each(cases)('%s', async (_what, send, status, code) => {
      const before = await snapshot();
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, error: { code, message: expect.any(String) } });
      expect(await snapshot()).toEqual(before);
    });

    it('lists the missing columns in schema order with the columns found', async () => {
      const res = await csv(fixture('not-ok/missing-column.csv'));
      expect(res.body.error.details).toMatchObject({
        missing: ['datasource'],
        found: ['region', 'origin_coord', 'destination_coord', 'datetime'],
      });
    });

    it('answers 413 from Content-Length alone, without reading the body', async () => {
      const before = await snapshot();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(url(), {
          method: 'POST',
          headers: { 'content-type': 'text/csv', 'content-length': String(MAX_BYTES + 1) },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders(); // headers only: the body never comes
      });
      expect(status).toBe(413);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('fails the ingestion when the upload breaks after its header was accepted', () => {
    async function expectFailed(id: string, code: string) {
      const row = await eventually(() => ingestionRow(id), {
        accept: (r) => r?.state === 'failed',
        what: `${id} failed`,
      });
      expect(row).toMatchObject({
        error_stage: 'upload',
        error_code: code,
        upload_completed_at: null,
        total_chunks: null,
      });
      expect(row?.failed_at).toBeInstanceOf(Date);
      await eventTypes(id, 'ingestion.failed');
      expect(events.get(id)!.find((e) => e.type === 'ingestion.failed')).toMatchObject({
        data: { stage: 'upload', code },
      });
      expect(events.get(id)!.some((e) => e.type === 'upload.completed')).toBe(false);
      expect(raw.get(id)?.some((r) => r.meta.kind === 'end') ?? false).toBe(false);
    }

    it('answers 400 bad_gzip for gzip data that breaks off mid-stream', async () => {
      const big = gzipSync(Buffer.concat([SAMPLE, ...Array.from({ length: 30 }, () => dataOf(SAMPLE))]));
      const id = randomUUID();
      const res = await post(big.subarray(0, Math.floor(big.length / 2)), {
        'content-type': 'application/gzip',
        'x-ingestion-id': id,
      });
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'bad_gzip' } } });
      await expectFailed(id, 'bad_gzip');
    });

    it('answers 413 when the decompressed bytes pass UPLOAD_MAX_BYTES (gzip bomb)', async () => {
      const bomb = gzipSync(Buffer.concat([SAMPLE, ...Array.from({ length: 80 }, () => dataOf(SAMPLE))]));
      expect(bomb.length).toBeLessThan(MAX_BYTES / 10);
      const id = randomUUID();
      const res = await post(bomb, { 'content-type': 'application/gzip', 'x-ingestion-id': id });
      expect(res).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
      await expectFailed(id, 'payload_too_large');
      // What was published before the limit stays (bronze keeps it as raw lineage); the row says failed.
      expect(raw.get(id)?.length ?? 0).toBeGreaterThan(0);
    });

    it('answers 422 record_too_large with the line where the record starts, publishing nothing of it', async () => {
      // Lines 2–101: the sample's rows; 102: blank; 103: a quoted region over two lines, too long.
      const long = `"${'x'.repeat(40_000)}\n${'y'.repeat(40_000)}",POINT (1 1),POINT (1 1),2018-05-28 09:03:40,a\n`;
      const body = Buffer.concat([
        SAMPLE,
        Buffer.from('\n' + long + 'Turin,POINT (1 1),POINT (1 1),2018-05-28 09:03:40,a\n'),
      ]);
      const id = randomUUID();
      const res = await csv(body, { 'x-ingestion-id': id });
      expect(res).toMatchObject({
        status: 422,
        body: { error: { code: 'record_too_large', details: { line: 103, limit: MAX_RECORD_BYTES } } },
      });
      expect(res.body.error.message).toMatch(/^Line 103: /);
      await expectFailed(id, 'record_too_large');
      const published = (raw.get(id) ?? []).flatMap((r) =>
        r.meta.kind === 'chunk' ? splitRecords(r.value, r.meta.firstLine).map((rec) => rec.line) : [],
      );
      expect(published.every((line) => line < 103)).toBe(true);
    });

    it('records client_aborted when the client disconnects mid-upload', async () => {
      const id = randomUUID();
      const req = http.request(url(), {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'x-ingestion-id': id },
      });
      req.on('error', () => undefined);
      req.write(SAMPLE);
      await eventually(() => raw.get(id)?.length, { what: `first chunks of ${id}` });
      req.destroy();
      await expectFailed(id, 'client_aborted');
    });
  });

  it('documents the endpoint at /docs-json (both body forms, headers, every response)', async () => {
    const doc = (await (await fetch(`${gateway.url}/docs-json`)).json()) as any;
    const op = doc.paths['/api/v1/ingestions'].post;
    expect(Object.keys(op.requestBody.content)).toEqual(
      expect.arrayContaining(['text/csv', 'application/gzip', 'multipart/form-data']),
    );
    expect(op.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['X-Ingestion-Id', 'X-File-Name', 'Content-Encoding']),
    );
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(['202', '400', '409', '413', '415', '422', '503']),
    );
    for (const code of [
      'missing_columns',
      'duplicate_columns',
      'not_csv',
      'empty_body',
      'bad_gzip',
      'missing_file_field',
      'kafka_unavailable',
    ]) {
      expect(JSON.stringify(op.responses)).toContain(code);
    }
    expect((await fetch(`${gateway.url}/docs`)).status).toBe(200);
  });
});
