import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { makeEvent, topicName } from '#contracts';
import { dropDatabase, repoRoot } from '#db';
import { createKafka } from '#kafka';
import {
  eventually,
  freePort,
  newIngestionId,
  SAMPLE_CSV,
  startPipeline,
  startService,
  testEnv,
  upload,
  waitForIngestion,
  type Pipeline,
  type RunningService,
} from '#testing';

const MAIN = join(repoRoot(), 'dist', 'examples', 'downstream-consumer', 'src', 'main.js');
const BAD_ROWS = join(repoRoot(), 'test', 'fixtures', 'csv', 'not-ok', 'bad-rows.csv');
const TOO_LARGE = join(repoRoot(), 'test', 'fixtures', 'bad-input', 'record-too-large.csv.gz');

interface Ledger {
  url: string;
  groupId: string;
  output: () => string;
  stop(): Promise<void>;
}

// The example consumer (examples/downstream-consumer) against the real pipeline: its ledger must agree
// with the platform's API, and nothing Kafka delivers twice may count twice.
describe('example downstream consumer (Nest Kafka transport, per-ingestion ledger)', () => {
  let pipeline: Pipeline;
  let queryApi: RunningService;
  let ledgerDatabaseUrl: string;
  let admin: Admin;
  let producer: Producer;
  let eventsTopic: string;
  const ledgers: Ledger[] = [];
  let ledger: Ledger;

  /** Starts the compiled example as a real process; resolves once its /health answers 200. */
  async function startLedger(group: string): Promise<Ledger> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...(process.env as Record<string, string>),
        ...pipeline.env,
        LEDGER_HOST: '127.0.0.1',
        LEDGER_PORT: String(port),
        LEDGER_DATABASE_URL: ledgerDatabaseUrl,
        LEDGER_GROUP_ID: group,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (b: Buffer) => (out = (out + b.toString()).slice(-100_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const started: Ledger = {
      url: `http://127.0.0.1:${port}`,
      groupId: `${pipeline.prefix}${group}`,
      output: () => out,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
    ledgers.push(started);
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`the example exited with ${child.exitCode}: ${out.slice(-2000)}`);
        return (await fetch(`${started.url}/health`)).status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the example consumer /health 200' },
    );
    return started;
  }

  const getJson = async (url: string): Promise<any> => {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const api = (id: string) => getJson(`${queryApi.url}/api/v1/ingestions/${id}`);
  const entry = (id: string, from = ledger) => getJson(`${from.url}/ledger/${id}`);

  /** The group has committed every message of the events topic: whatever it will do with them is done. */
  async function caughtUp(from: Ledger): Promise<void> {
    await eventually(
      async () => {
        const ends = await admin.fetchTopicOffsets(eventsTopic);
        const [committed] = await admin.fetchOffsets({ groupId: from.groupId, topics: [eventsTopic] });
        return ends.every((end) => {
          const offset = committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          return end.high === end.low || Number(offset) >= Number(end.high);
        });
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `group ${from.groupId} at the end of ${eventsTopic}` },
    );
  }

  /** Uploads a file; once the platform reports the ingestion finished, waits for the ledger to agree. */
  async function ingest(file: string, contentType: string, expectState: 'completed' | 'failed') {
    const ingestionId = newIngestionId();
    const res = await upload(pipeline.gateway.url, readFileSync(file), {
      'content-type': contentType,
      'x-ingestion-id': ingestionId,
    });
    if (expectState === 'completed') {
      expect(res.status).toBe(202);
      await waitForIngestion(pipeline.pool, ingestionId);
    }
    const fromApi = await eventually(() => api(ingestionId), {
      accept: (a) => a.state === expectState,
      what: `ingestion ${ingestionId} ${expectState} in the API`,
    });
    await eventually(() => entry(ingestionId), {
      accept: (e) => e.state === expectState,
      what: `ingestion ${ingestionId} ${expectState} in the ledger`,
    });
    // Every event of the ingestion was published before its last one: once the group is at the end of
    // the topic, the ledger holds them all.
    await caughtUp(ledger);
    return { ingestionId, res, fromApi, fromLedger: await entry(ingestionId) };
  }

  /** What the ledger of a completed ingestion and the API must agree on (both shapes name these alike). */
  const agreed = ({ state, fileName, bytes, sha256, counts, error }: any) => ({
    state,
    fileName,
    bytes,
    sha256,
    counts,
    error,
  });

  beforeAll(async () => {
    pipeline = await startPipeline('downstream');
    const env = testEnv(pipeline.env);
    eventsTopic = topicName(env.KAFKA_TOPIC_PREFIX, 'ingestionEvents');
    const url = new URL(testEnv().DATABASE_URL);
    url.pathname = `${url.pathname}_downstream_ledger`;
    ledgerDatabaseUrl = url.toString();
    await dropDatabase(ledgerDatabaseUrl);
    const kafka = createKafka(env, 'downstream-spec');
    admin = kafka.admin();
    producer = kafka.producer();
    [queryApi, ledger] = await Promise.all([
      startService('query-api', pipeline.env),
      startLedger('ledger'),
      admin.connect(),
      producer.connect(),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(ledgers.map((l) => l.stop()));
    await Promise.all([queryApi?.stop(), admin?.disconnect(), producer?.disconnect()]);
    await pipeline?.stop();
    if (ledgerDatabaseUrl && process.env.KEEP_TEST_DB !== '1') await dropDatabase(ledgerDatabaseUrl);
  });

  let sampleId: string;

  it('keeps the 100-row sample exactly as the API reports it', async () => {
    const { ingestionId, res, fromApi, fromLedger } = await ingest(SAMPLE_CSV, 'text/csv', 'completed');
    sampleId = ingestionId;
    expect(agreed(fromLedger)).toEqual(agreed(fromApi));
    expect(fromLedger).toMatchObject({
      ingestionId,
      state: 'completed',
      bytes: (res.body.upload as { bytes: number }).bytes,
      sha256: (res.body.upload as { sha256: string }).sha256,
      counts: { upload: 100, bronze: 100, silver: 100, rejected: 0, gold: 100 },
      error: null,
      failedAt: null,
      duplicates: 0,
    });
    expect(Object.values(fromLedger.completedAt).every((t) => typeof t === 'string')).toBe(true);
    expect(fromLedger.durationMs).toEqual(expect.any(Number));
    // accepted, upload/bronze/silver/gold/ingestion completed, and any progress in between.
    expect(fromLedger.events).toBeGreaterThanOrEqual(6);
  });

  it('counts rejected rows, and a failed ingestion with its error, as the API does', async () => {
    const bad = await ingest(BAD_ROWS, 'text/csv', 'completed');
    expect(agreed(bad.fromLedger)).toEqual(agreed(bad.fromApi));
    expect(bad.fromLedger.counts).toEqual({ upload: 9, bronze: 9, silver: 3, rejected: 6, gold: 3 });

    const failed = await ingest(TOO_LARGE, 'application/gzip', 'failed');
    expect(failed.res.status).toBe(422);
    // Upload figures of a failed upload are the last throttled progress event's, not the API's: compare
    // what the events state for certain.
    expect({ state: failed.fromLedger.state, error: failed.fromLedger.error }).toEqual({
      state: failed.fromApi.state,
      error: failed.fromApi.error,
    });
    expect(failed.fromLedger.error).toMatchObject({ stage: 'upload', code: 'record_too_large' });
    expect(failed.fromLedger.failedAt).toEqual(expect.any(String));

    await caughtUp(ledger);
    const { totals } = await getJson(`${ledger.url}/ledger`);
    expect(totals).toEqual({
      ingestions: 3,
      inProgress: 0,
      completed: 2,
      failed: 1,
      retracted: 0,
      rows: 109,
      validRows: 103,
      rejectedRows: 6,
    });
  });

  it('ignores a redelivered event and a late progress event, and skips messages it cannot read', async () => {
    await caughtUp(ledger);
    const before = await entry(sampleId);
    const message = (value: string) => ({ key: sampleId, value });
    const envelope = makeEvent('gold.completed', sampleId, { trips: 100 });
    await producer.send({
      topic: eventsTopic,
      messages: [
        message('not json'),
        message(JSON.stringify({ ...envelope, eventId: 'ingestion.archived:x', type: 'ingestion.archived' })),
        message(JSON.stringify({ ...envelope, ingestionId: 'not-a-uuid' })),
        message(JSON.stringify({ ...envelope, eventId: `gold.completed:${sampleId}:x`, data: { trips: -1 } })),
        // The same event again (its deterministic eventId), as after a producer's crash and re-publish.
        message(
          JSON.stringify(
            makeEvent('ingestion.completed', sampleId, {
              rows: 100,
              validRows: 100,
              rejectedRows: 0,
              durationMs: before.durationMs,
            }),
          ),
        ),
        // A progress event produced early but delivered after completion (new eventId): no figure moves back.
        message(
          JSON.stringify(
            makeEvent(
              'silver.progress',
              sampleId,
              { chunksDone: 0, totalChunks: null, validRows: 1, rejectedRows: 0, totalRows: null },
              'late',
              new Date(before.firstEventAt),
            ),
          ),
        ),
      ],
    });
    await caughtUp(ledger);
    expect(await entry(sampleId)).toEqual({ ...before, events: before.events + 1, duplicates: before.duplicates + 1 });
    expect(ledger.output().match(/skipped /g)).toHaveLength(4);
  });

  it('a fresh consumer group replaying the whole topic into the same ledger changes no figure', async () => {
    await caughtUp(ledger);
    const before = await getJson(`${ledger.url}/ledger`);
    await ledger.stop();
    const replay = await startLedger('ledger-replay');
    await caughtUp(replay);
    const after = await getJson(`${replay.url}/ledger`);
    expect(after.totals).toEqual(before.totals);
    // Every valid message on the topic was one the first group applied (events) or ignored
    // (duplicates); replayed, each is a duplicate, and nothing else changes.
    expect(after.ingestions).toEqual(
      before.ingestions.map((e: any) => ({ ...e, duplicates: e.duplicates + e.events + e.duplicates })),
    );
  });

  it("follows a retraction: the ingestion leaves the row totals, as it leaves the platform's answers", async () => {
    const current = ledgers.at(-1)!;
    const before = await getJson(`${current.url}/ledger`);
    const res = await fetch(`${pipeline.gateway.url}/api/v1/ingestions/${sampleId}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    const retracted = await eventually(() => getJson(`${current.url}/ledger/${sampleId}`), {
      accept: (e: any) => e.state === 'retracted',
      what: `ingestion ${sampleId} retracted in the ledger`,
    });
    expect(retracted.retractedAt).toEqual(expect.any(String));
    expect((await api(sampleId)).state).toBe('retracted');
    const after = await getJson(`${current.url}/ledger`);
    expect(after.totals).toEqual({
      ...before.totals,
      completed: before.totals.completed - 1,
      retracted: 1,
      rows: before.totals.rows - 100,
      validRows: before.totals.validRows - 100,
    });
  });
});
