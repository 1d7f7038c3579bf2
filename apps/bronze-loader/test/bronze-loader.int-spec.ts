import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Consumer, IHeaders } from 'kafkajs';
import type pg from 'pg';
import {
  encodeRawChunkHeaders,
  parseBronzeWork,
  parseIngestionEvent,
  type BronzeWorkV1,
  type IngestionEvent,
} from '#contracts';
import { RecordChunker, splitRecords, type Chunk } from '#csv';
import { repoRoot } from '#db';
import { Publisher, createKafka, ensureTopics, groupId, topic } from '#kafka';
import { eventually, freePort, startService, testEnv, testPool, type RunningService } from '#testing';

const here = dirname(fileURLToPath(import.meta.url));
const SAMPLE = readFileSync(join(here, 'fixtures', 'trips-100.csv'));
const COLUMNS = ['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource'];
const ROW = (region: string, ds = 'funny_car') =>
  `${region},POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,${ds}`;

const prefix = `${process.env.KAFKA_TOPIC_PREFIX}bl.`;
const env = testEnv({ KAFKA_TOPIC_PREFIX: prefix });
const kafka = createKafka(env, 'bronze-loader-int-spec');
const publisher = new Publisher(kafka, env);

interface Seen {
  topic: string;
  key: string;
  value: Buffer | null;
  headers: IHeaders;
}

/** Everything the loader publishes (work items, events, dead letters), read back from the real topics. */
class Collector {
  readonly messages: Seen[] = [];
  private readonly last = new Map<string, number>();
  private consumer: Consumer | undefined;

  async start(): Promise<void> {
    this.consumer = kafka.consumer({ groupId: groupId(env, `bl-collector-${randomUUID()}`) });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [topic(env, 'bronzeWork'), topic(env, 'ingestionEvents'), topic(env, 'deadLetter')],
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        this.messages.push({
          topic: t,
          key: message.key?.toString() ?? '',
          value: message.value,
          headers: message.headers ?? {},
        });
        this.last.set(`${t}:${partition}`, Number(message.offset));
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer?.disconnect() ?? Promise.resolve();
  }

  /** Resolves once every message now in the output topics has been read. */
  async caughtUp(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const key of ['bronzeWork', 'ingestionEvents', 'deadLetter'] as const) {
        const t = topic(env, key);
        for (const p of await admin.fetchTopicOffsets(t)) {
          const high = Number(p.high);
          if (high > 0)
            await eventually(() => (this.last.get(`${t}:${p.partition}`) ?? -1) >= high - 1, {
              what: `collector read ${t}[${p.partition}]`,
            });
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  work(ingestionId: string): BronzeWorkV1[] {
    return this.messages
      .filter((m) => m.topic === topic(env, 'bronzeWork') && m.key.startsWith(`${ingestionId}:`))
      .map((m) => parseBronzeWork(JSON.parse(m.value!.toString())));
  }

  events(ingestionId: string, type?: string): IngestionEvent[] {
    return this.messages
      .filter((m) => m.topic === topic(env, 'ingestionEvents') && m.key === ingestionId)
      .map((m) => parseIngestionEvent(JSON.parse(m.value!.toString())))
      .filter((e) => !type || e.type === type);
  }

  deadLetters(ingestionId: string): Seen[] {
    return this.messages.filter((m) => m.topic === topic(env, 'deadLetter') && m.key.startsWith(`${ingestionId}:`));
  }
}

/** Waits until the loader's group has committed every raw message published so far: all handled, all published. */
async function loaderDrained(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const raw = topic(env, 'rawChunks');
    const highs = new Map((await admin.fetchTopicOffsets(raw)).map((p) => [p.partition, Number(p.high)]));
    await eventually(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId: groupId(env, 'bronze-loader'), topics: [raw] });
        return committed.partitions.every(
          (p) => Number(p.offset) >= (highs.get(p.partition) ?? 0) || highs.get(p.partition) === 0,
        );
      },
      { what: 'bronze-loader committed all raw messages' },
    );
  } finally {
    await admin.disconnect();
  }
  await collector.caughtUp();
}

function chunk(data: string | Buffer, firstLine: number): Chunk {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return { data: buf, firstLine, records: 0 };
}

function chunksOf(body: Buffer, targetBytes: number): Chunk[] {
  const chunker = new RecordChunker(targetBytes, 2);
  return [...chunker.push(body), ...chunker.end()];
}

async function createIngestion(columns = COLUMNS): Promise<{ ingestionId: string; ingestionNo: number }> {
  const ingestionId = randomUUID();
  const { rows } = await pool.query<{ ingestion_no: number }>(
    `INSERT INTO meta.ingestions (ingestion_id, state, columns) VALUES ($1, 'uploading', $2) RETURNING ingestion_no`,
    [ingestionId, columns],
  );
  return { ingestionId, ingestionNo: rows[0].ingestion_no };
}

async function publishChunks(
  ingestionId: string,
  chunks: { seq: number; chunk: Chunk }[],
  columns = COLUMNS,
): Promise<void> {
  await publisher.send(
    'rawChunks',
    chunks.map(({ seq, chunk: c }) => ({
      key: `${ingestionId}:${seq}`,
      value: c.data,
      headers: encodeRawChunkHeaders({ kind: 'chunk', ingestionId, seq, firstLine: c.firstLine, columns }),
    })),
  );
}

/** What the gateway does after the last chunk: record the totals, then publish the end marker. */
async function finishUpload(ingestionId: string, totalChunks: number, totalRows: number): Promise<void> {
  await pool.query(
    `UPDATE meta.ingestions SET total_chunks = $2, total_rows = $3, state = 'processing' WHERE ingestion_id = $1`,
    [ingestionId, totalChunks, totalRows],
  );
  await publisher.send('rawChunks', [
    {
      key: `${ingestionId}:end`,
      value: Buffer.alloc(0),
      headers: encodeRawChunkHeaders({ kind: 'end', ingestionId, totalChunks, totalRows }),
    },
  ]);
}

async function ingestion(ingestionId: string) {
  const { rows } = await pool.query('SELECT * FROM meta.ingestions WHERE ingestion_id = $1', [ingestionId]);
  return rows[0];
}

const waitBronzeCompleted = (ingestionId: string) =>
  eventually(async () => (await ingestion(ingestionId)).bronze_completed_at !== null, {
    what: `bronze completed for ${ingestionId}`,
  });

/** Bronze's records with their lineage (the bronze.records view over bronze.chunks), in line order. */
async function bronzeRecords(ingestionNo: number): Promise<{ seq: number; line_no: number; record: Buffer }[]> {
  const { rows } = await pool.query<{ seq: number; line_no: number; record: Buffer }>(
    'SELECT seq, line_no::int, record FROM bronze.records WHERE ingestion_no = $1 ORDER BY line_no',
    [ingestionNo],
  );
  return rows;
}

/** [line, record text] of bronze's records (for records that are valid UTF-8). */
const recordTexts = async (ingestionNo: number) =>
  (await bronzeRecords(ingestionNo)).map((r) => [r.line_no, r.record.toString()] as [number, string]);

/** Bronze's raw chunk rows, in seq order. */
async function bronzeChunks(ingestionNo: number) {
  const { rows } = await pool.query<{
    seq: number;
    start_line: number;
    first_line: number;
    last_line: number;
    rows: number;
    data: Buffer;
  }>(
    `SELECT seq, start_line::int, first_line::int, last_line::int, rows, data
     FROM bronze.chunks WHERE ingestion_no = $1 ORDER BY seq`,
    [ingestionNo],
  );
  return rows;
}

let pool: pg.Pool;
let loader: RunningService;
const collector = new Collector();

beforeAll(async () => {
  await ensureTopics(kafka, env);
  pool = testPool();
  await collector.start();
  loader = await startService('bronze-loader', { KAFKA_TOPIC_PREFIX: prefix, PROGRESS_INTERVAL_MS: '0' });
});

afterAll(async () => {
  await loader?.stop();
  await collector.stop();
  await publisher.disconnect();
  await pool?.end();
});

describe('bronze-loader against the real Kafka and PostgreSQL', () => {
  it('loads the 100-row sample exactly as uploaded, completes once, and hands every chunk to the transformer', async () => {
    const { ingestionId, ingestionNo } = await createIngestion();
    const body = SAMPLE.subarray(SAMPLE.indexOf('\n') + 1);
    const chunks = chunksOf(body, 2048);
    expect(chunks.length).toBeGreaterThan(3);
    await publishChunks(
      ingestionId,
      chunks.map((c, seq) => ({ seq, chunk: c })),
    );
    await finishUpload(ingestionId, chunks.length, 100);
    await waitBronzeCompleted(ingestionId);
    await loaderDrained();

    // One bronze row per chunk, holding the chunk's bytes exactly as published.
    const stored = await bronzeChunks(ingestionNo);
    expect(stored.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(Buffer.concat(stored.map((c) => c.data)).equals(body)).toBe(true);
    expect(stored.map((c) => [c.start_line, c.data.length])).toEqual(chunks.map((c) => [c.firstLine, c.data.length]));

    // Its records, with their source lines, are the sample's lines; an independent CSV reading of
    // each stored record gives back the sample's fields.
    const expected = parse(SAMPLE).slice(1);
    const records = await bronzeRecords(ingestionNo);
    expect(records.map((r) => r.line_no)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(records.map((r) => r.record.toString())).toEqual(body.toString().split('\n').slice(0, -1));
    expect(records.map((r) => parse(r.record)[0])).toEqual(expected);

    const row = await ingestion(ingestionId);
    expect(row).toMatchObject({ bronze_chunks: chunks.length, bronze_rows: '100', state: 'processing' });
    const { rows: markers } = await pool.query(
      'SELECT seq, first_line::int, last_line::int, rows FROM meta.bronze_chunks WHERE ingestion_no = $1 ORDER BY seq',
      [ingestionNo],
    );
    expect(markers.map((m) => m.seq)).toEqual(chunks.map((_, i) => i));
    expect(markers.reduce((n, m) => n + m.rows, 0)).toBe(100);
    expect(markers[0].first_line).toBe(2);
    expect(markers.at(-1).last_line).toBe(101);
    // bronze.chunks carries the same lineage as the loader's markers.
    expect(stored.map((c) => [c.seq, c.first_line, c.last_line, c.rows])).toEqual(
      markers.map((m) => [m.seq, m.first_line, m.last_line, m.rows]),
    );

    const completed = collector.events(ingestionId, 'bronze.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      eventId: `bronze.completed:${ingestionId}`,
      layer: 'bronze',
      data: { chunks: chunks.length, rows: 100 },
    });
    const progress = collector.events(ingestionId, 'bronze.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.find((e) => e.eventId === `bronze.progress:${ingestionId}:${chunks.length}`)?.data).toMatchObject({
      chunksLoaded: chunks.length,
      rowsLoaded: 100,
    });

    const work = collector.work(ingestionId);
    const items = work.filter((w) => w.kind === 'chunk').sort((a, b) => a.seq - b.seq);
    expect(items).toEqual(
      markers.map((m) => ({
        kind: 'chunk',
        ingestionId,
        ingestionNo,
        seq: m.seq,
        firstLine: m.first_line,
        lastLine: m.last_line,
        rows: m.rows,
      })),
    );
    expect(work.filter((w) => w.kind === 'end')).toEqual([
      { kind: 'end', ingestionId, ingestionNo, totalChunks: chunks.length },
    ]);
  });

  it('writes a redelivered chunk once and only re-publishes its work item and the completion', async () => {
    const { ingestionId, ingestionNo } = await createIngestion();
    const first = chunk(`${ROW('A')}\n${ROW('B')}\n`, 2);
    const second = chunk(`${ROW('C')}\n`, 4);
    await publishChunks(ingestionId, [
      { seq: 0, chunk: first },
      { seq: 1, chunk: second },
    ]);
    await finishUpload(ingestionId, 2, 3);
    await waitBronzeCompleted(ingestionId);
    await loaderDrained();
    expect(collector.work(ingestionId).filter((w) => w.kind === 'chunk' && w.seq === 0)).toHaveLength(1);

    await publishChunks(ingestionId, [{ seq: 0, chunk: first }]);
    await loaderDrained();

    expect(await recordTexts(ingestionNo)).toEqual([
      [2, ROW('A')],
      [3, ROW('B')],
      [4, ROW('C')],
    ]);
    expect((await bronzeChunks(ingestionNo)).map((c) => c.seq)).toEqual([0, 1]);
    const { rows: markers } = await pool.query(
      'SELECT count(*)::int AS n FROM meta.bronze_chunks WHERE ingestion_no = $1',
      [ingestionNo],
    );
    expect(markers[0].n).toBe(2);
    expect(await ingestion(ingestionId)).toMatchObject({ bronze_chunks: 2, bronze_rows: '3' });
    const again = collector.work(ingestionId).filter((w) => w.kind === 'chunk' && w.seq === 0);
    expect(again).toHaveLength(2);
    expect(again[1]).toEqual(again[0]);
    expect(again[0]).toMatchObject({ firstLine: 2, lastLine: 3, rows: 2 });
    // Bronze was already complete: the redelivery re-announces it under the same event id.
    const completed = collector.events(ingestionId, 'bronze.completed');
    expect(completed).toHaveLength(2);
    expect(new Set(completed.map((e) => e.eventId)).size).toBe(1);
    expect(collector.work(ingestionId).filter((w) => w.kind === 'end')).toHaveLength(2);
  });

  it('stores every record byte for byte with its line: malformed ones, CRLF, quoted newlines, blank lines, invalid UTF-8', async () => {
    const { ingestionId, ingestionNo } = await createIngestion();
    // [line, bytes of the record] for every record; blank lines are in the chunk but are no record.
    const records: [number, Buffer][] = [
      [2, Buffer.from(ROW('Good1'))],
      [3, Buffer.from('short,row')],
      [4, Buffer.from(`${ROW('Extra')},field`)],
      [7, Buffer.concat([Buffer.from('Bad'), Buffer.from([0xc3, 0x28]), Buffer.from(',a,b,c,d')])], // invalid UTF-8
      [8, Buffer.from('Nul\0,a,b,c,d')],
      [9, Buffer.from(ROW('Good2'))], // ends with CRLF: the CR belongs to the terminator
      [10, Buffer.from(`"Quoted\r\nnew""line",POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,ds`)],
      [12, Buffer.from(`${ROW('Bare')}\rcr`)], // a bare CR inside a record is data
      [13, Buffer.from(' , , , , ')],
      [14, Buffer.from('"unterminated,a,b,c,d\n')], // an open quote swallows the rest of the chunk
    ];
    const first = Buffer.concat([
      records[0][1],
      Buffer.from('\n'),
      records[1][1],
      Buffer.from('\n'),
      records[2][1],
      Buffer.from('\n\n\r\r\n'), // lines 5 (empty) and 6 (only CRs) are blank
      records[3][1],
      Buffer.from('\n'),
      records[4][1],
      Buffer.from('\n'),
      records[5][1],
      Buffer.from('\r\n'),
      records[6][1],
      Buffer.from('\n'),
      records[7][1],
      Buffer.from('\n'),
      records[8][1],
      Buffer.from('\r\n'),
      records[9][1],
    ]);
    // A second chunk starting with blank lines: its first record is on a later line than its first byte.
    const second = Buffer.from(`\r\n\n${ROW('Late')}\n`);
    await publishChunks(ingestionId, [
      { seq: 0, chunk: chunk(first, 2) },
      { seq: 1, chunk: chunk(second, 15) },
    ]);
    await finishUpload(ingestionId, 2, records.length + 1);
    await waitBronzeCompleted(ingestionId);

    const stored = await bronzeChunks(ingestionNo);
    expect(stored.map((c) => [c.seq, c.start_line, c.first_line, c.last_line, c.rows])).toEqual([
      [0, 2, 2, 14, records.length],
      [1, 15, 17, 17, 1],
    ]);
    expect(stored[0].data.equals(first)).toBe(true);
    expect(stored[1].data.equals(second)).toBe(true);

    const lineage = await bronzeRecords(ingestionNo);
    expect(lineage.map((r) => [r.seq, r.line_no, r.record.toString('hex')])).toEqual([
      ...records.map(([line, bytes]) => [0, line, bytes.toString('hex')]),
      [1, 17, Buffer.from(ROW('Late')).toString('hex')],
    ]);
    // The lineage view splits records exactly as the scanner the gateway and the transformer use.
    expect(lineage.filter((r) => r.seq === 0).map((r) => [r.line_no, r.record.toString('hex')])).toEqual(
      splitRecords(first, 2).map((r) => [r.line, first.subarray(r.start, r.end).toString('hex')]),
    );
    expect(await ingestion(ingestionId)).toMatchObject({
      bronze_chunks: 2,
      bronze_rows: String(records.length + 1),
      state: 'processing',
    });
  });

  it('stores a chunk that PostgreSQL COPY would refuse as it is, in one row, with no fallback', async () => {
    const { ingestionId, ingestionNo } = await createIngestion();
    // A bare CR outside quotes made COPY refuse the whole chunk in the old per-record design; bronze
    // now keeps the bytes, so nothing in a record can make a chunk fail or take another path.
    const data = `${ROW('One')}\n${ROW('Two', 'cheap\rmobile')}\nbad,row\n${ROW('Three', '')}\n`;
    await publishChunks(ingestionId, [{ seq: 0, chunk: chunk(data, 2) }]);
    await finishUpload(ingestionId, 1, 4);
    await waitBronzeCompleted(ingestionId);

    const stored = await bronzeChunks(ingestionNo);
    expect(stored).toHaveLength(1);
    expect(stored[0].data.toString()).toBe(data);
    expect(stored[0]).toMatchObject({ start_line: 2, first_line: 2, last_line: 5, rows: 4 });
    expect(await recordTexts(ingestionNo)).toEqual([
      [2, ROW('One')],
      [3, ROW('Two', 'cheap\rmobile')],
      [4, 'bad,row'],
      [5, ROW('Three', '')],
    ]);
    expect(await ingestion(ingestionId)).toMatchObject({ bronze_chunks: 1, bronze_rows: '4' });
    expect(loader.output()).not.toMatch(/COPY rejected|record by record|fall(s|ing)? back/i);
  });

  it('stores uploads with columns in another order or extra columns verbatim (the transformer maps them)', async () => {
    const reordered = ['datasource', 'datetime', 'destination_coord', 'origin_coord', 'region'];
    const a = await createIngestion(reordered);
    const aData = 'ds,2018-01-02 03:04:05,POINT (3 4),"POINT (1 2)",Rome\n';
    await publishChunks(a.ingestionId, [{ seq: 0, chunk: chunk(aData, 2) }], reordered);
    await finishUpload(a.ingestionId, 1, 1);

    const extra = ['id', 'region', 'note', 'origin_coord', 'destination_coord', 'datetime', 'datasource', 'tail'];
    const b = await createIngestion(extra);
    const bRecords = [
      '17,Rome,"a, ""quoted"" note",POINT (1 2),POINT (3 4),2018-01-02 03:04:05,ds,',
      '18,Oslo,x,p,q,d,s,t',
    ];
    const bData = `${bRecords.join('\n')}\n`;
    await publishChunks(b.ingestionId, [{ seq: 0, chunk: chunk(bData, 2) }], extra);
    await finishUpload(b.ingestionId, 1, 2);
    await Promise.all([waitBronzeCompleted(a.ingestionId), waitBronzeCompleted(b.ingestionId)]);

    expect((await bronzeChunks(a.ingestionNo)).map((c) => c.data.toString())).toEqual([aData]);
    expect(await recordTexts(a.ingestionNo)).toEqual([[2, aData.slice(0, -1)]]);
    expect((await bronzeChunks(b.ingestionNo)).map((c) => c.data.toString())).toEqual([bData]);
    expect(await recordTexts(b.ingestionNo)).toEqual([
      [2, bRecords[0]],
      [3, bRecords[1]],
    ]);
    // The header the records belong to stays with the ingestion, for the transformer.
    expect((await ingestion(a.ingestionId)).columns).toEqual(reordered);
    expect((await ingestion(b.ingestionId)).columns).toEqual(extra);
    expect(await ingestion(b.ingestionId)).toMatchObject({ bronze_chunks: 1, bronze_rows: '2' });
  });

  it('completes exactly once when the end marker arrives before the last chunks', async () => {
    const { ingestionId, ingestionNo } = await createIngestion();
    const chunks = [chunk(`${ROW('A')}\n`, 2), chunk(`${ROW('B')}\n${ROW('C')}\n`, 3), chunk(`${ROW('D')}\n`, 5)];
    await publishChunks(ingestionId, [{ seq: 0, chunk: chunks[0] }]);
    await finishUpload(ingestionId, 3, 4);
    await loaderDrained();
    expect((await ingestion(ingestionId)).bronze_completed_at).toBeNull();
    expect(collector.events(ingestionId, 'bronze.completed')).toHaveLength(0);

    await publishChunks(ingestionId, [
      { seq: 1, chunk: chunks[1] },
      { seq: 2, chunk: chunks[2] },
    ]);
    await waitBronzeCompleted(ingestionId);
    await loaderDrained();
    expect((await recordTexts(ingestionNo)).map(([, text]) => text)).toEqual(['A', 'B', 'C', 'D'].map((r) => ROW(r)));
    const completed = collector.events(ingestionId, 'bronze.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0].data).toEqual({ chunks: 3, rows: 4 });
    expect(collector.work(ingestionId).filter((w) => w.kind === 'end')).toEqual([
      { kind: 'end', ingestionId, ingestionNo, totalChunks: 3 },
    ]);
  });

  it('completes a header-only upload (0 chunks) on its end marker', async () => {
    const { ingestionId, ingestionNo } = await createIngestion();
    await finishUpload(ingestionId, 0, 0);
    await waitBronzeCompleted(ingestionId);
    await loaderDrained();
    expect(collector.events(ingestionId, 'bronze.completed').map((e) => e.data)).toEqual([{ chunks: 0, rows: 0 }]);
    expect(collector.work(ingestionId)).toEqual([{ kind: 'end', ingestionId, ingestionNo, totalChunks: 0 }]);

    // A redelivered end marker that itself completed bronze re-announces it (it cannot know whether
    // its first delivery got as far as publishing).
    await publisher.send('rawChunks', [
      {
        key: `${ingestionId}:end`,
        value: Buffer.alloc(0),
        headers: encodeRawChunkHeaders({ kind: 'end', ingestionId, totalChunks: 0, totalRows: 0 }),
      },
    ]);
    await loaderDrained();
    expect(collector.events(ingestionId, 'bronze.completed').map((e) => e.eventId)).toEqual([
      `bronze.completed:${ingestionId}`,
      `bronze.completed:${ingestionId}`,
    ]);
    expect(collector.work(ingestionId)).toHaveLength(2);
  });

  it('dead-letters a chunk that can never load and marks its ingestion failed', async () => {
    const { ingestionId, ingestionNo } = await createIngestion(COLUMNS.slice(1));
    await publishChunks(ingestionId, [{ seq: 0, chunk: chunk('a,b,c,d\n', 2) }], COLUMNS.slice(1));
    const unknown = randomUUID();
    await publishChunks(unknown, [{ seq: 0, chunk: chunk(`${ROW('X')}\n`, 2) }]);
    await eventually(async () => (await ingestion(ingestionId)).state === 'failed', { what: 'ingestion failed' });
    await loaderDrained();

    expect(await ingestion(ingestionId)).toMatchObject({
      error_stage: 'bronze',
      error_code: 'bad_columns',
      bronze_chunks: 0,
    });
    expect((await ingestion(ingestionId)).failed_at).not.toBeNull();
    expect(await bronzeChunks(ingestionNo)).toEqual([]);
    expect(await bronzeRecords(ingestionNo)).toEqual([]);
    expect(collector.events(ingestionId, 'ingestion.failed').map((e) => e.data)).toEqual([
      { stage: 'bronze', code: 'bad_columns', message: expect.stringContaining('region') },
    ]);
    const dead = collector.deadLetters(ingestionId);
    expect(dead).toHaveLength(1);
    expect(dead[0].headers['dlq-error-code']?.toString()).toBe('bad_columns');
    expect(dead[0].value?.toString()).toBe('a,b,c,d\n');
    expect(collector.deadLetters(unknown).map((m) => m.headers['dlq-error-code']?.toString())).toEqual([
      'unknown_ingestion',
    ]);
  });
});

describe('bronze-loader lifecycle', () => {
  it('boots and answers /health while Kafka is unreachable, and shuts down promptly on SIGTERM', async () => {
    const port = await freePort();
    const deadBroker = await freePort();
    const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps/bronze-loader/src/main.js')], {
      env: {
        ...process.env,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_BROKERS: `127.0.0.1:${deadBroker}`,
        HTTP_HOST: '127.0.0.1',
        BRONZE_LOADER_PORT: String(port),
      },
      stdio: 'ignore',
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const res = await eventually(() => fetch(`http://127.0.0.1:${port}/health`), { what: '/health answers' });
      expect(res.status).toBe(503);
      const report = (await res.json()) as { details: Record<string, { status: string }> };
      expect(report.details.database.status).toBe('up');
      expect(report.details.kafka.status).toBe('down');
    } finally {
      const t0 = Date.now();
      child.kill('SIGTERM');
      // Nest re-raises the signal after a clean shutdown; a failed shutdown would exit with code 1.
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  });
});
