import { setTimeout as delay } from 'node:timers/promises';
import { createKafka, groupId, topic } from '#kafka';
import {
  eventually,
  exactlyOnce,
  layerFacts,
  newIngestionId,
  startPipeline,
  startService,
  testEnv,
  upload,
  waitForIngestion,
  type IngestionRow,
  type LayerFacts,
  type Pipeline,
} from '#testing';
import { HEADER, rowGenerator } from '../../scripts/bench/generate.js';

const ROWS = 1_000;
/** ≈ 100 bytes a row: about a dozen chunks. */
const CHUNK_BYTES = 8 * 1024;
/** The victim dies once it has handled its 3rd message (the first two may have been committed or not). */
const FAULT_AT = 3;

type Consumer = 'bronze-loader' | 'transformer';
type LogLine = { level: number; msg: string; [key: string]: unknown };

/** The JSON log lines of a service's output. */
const logLines = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** What the restarted service logs when a redelivered message finds its marker and only re-publishes. */
const REDELIVERED: Record<Consumer, string> = {
  'bronze-loader': 'chunk already loaded; re-publishing',
  transformer: 'work item redelivered',
};

/** Where each consumer records a chunk's marker, in the transaction that handles it. */
const MARKER: Record<Consumer, string> = {
  'bronze-loader': 'SELECT count(*)::int AS n FROM bronze.chunks WHERE ingestion_no = $1 AND seq = $2',
  transformer: 'SELECT count(*)::int AS n FROM meta.silver_chunks WHERE ingestion_no = $1 AND seq = $2',
};

interface Outcome {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  faults: LogLine[];
  /** The chunk marker of the killed message, read right after the death. */
  markerAtDeath: number;
  /** The group's committed offset on the killed message's partition, read right after the death. */
  committedAtDeath: number;
  done: IngestionRow;
  facts: LayerFacts;
  /** The restarted service's log line for the killed message (same partition and offset). */
  redelivered: LogLine | undefined;
}

/**
 * The upload, paced like a slow client (a chunk's worth every 100 ms): the raw topic's end marker, and
 * so the transformer's `end` item, come long after the first chunks, so the 3rd message is a chunk's.
 */
function pacedBody(file: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset > 0) await delay(100);
      controller.enqueue(file.subarray(offset, offset + CHUNK_BYTES));
      offset += CHUNK_BYTES;
      if (offset >= file.length) controller.close();
    },
  });
}

/**
 * Starts a pipeline whose `victim` has FAULT_EXIT_AFTER_COMMIT set, uploads a file of several chunks,
 * waits for the victim to kill itself, records where it stopped, restarts it without the fault and
 * waits for the ingestion to complete.
 */
async function crashAndRecover(victim: Consumer, pipeline: Pipeline): Promise<Outcome> {
  const { pool } = pipeline;
  const env = testEnv(pipeline.env);
  const admin = createKafka(env, `exit-after-commit-${victim}`).admin();
  await admin.connect();
  try {
    // Both consumers own their partitions before the first byte: messages are handled as they arrive.
    for (const group of ['bronze-loader', 'transformer']) {
      await eventually(
        async () => {
          const [g] = (await admin.describeGroups([groupId(env, group)])).groups;
          return g.state === 'Stable' && g.members.length === 1;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `consumer group ${group} stable` },
      );
    }
    const file = Buffer.from(HEADER + rowGenerator(13)(ROWS));
    const ingestionId = newIngestionId();
    const uploading = upload(pipeline.gateway.url, pacedBody(file), {
      'content-type': 'text/csv',
      'x-ingestion-id': ingestionId,
    });
    const service = victim === 'bronze-loader' ? pipeline.loader : pipeline.transformer;
    await eventually(() => service.child.exitCode !== null || service.child.signalCode !== null, {
      timeoutMs: 60_000,
      what: `${victim} exiting on its injected fault`,
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${service.output().slice(-3000)}`, { cause: error });
    });
    const exit = await service.exited;
    const faults = logLines(service.output()).filter((l) => l.fault === 'FAULT_EXIT_AFTER_COMMIT');
    const fault = faults[0];
    if (!fault) throw new Error(`${victim} exited without logging the fault:\n${service.output().slice(-3000)}`);
    const { rows } = await pool.query<{ ingestion_no: number }>(
      'SELECT ingestion_no FROM meta.ingestions WHERE ingestion_id = $1',
      [ingestionId],
    );
    const seq = Number(String(fault.key).split(':')[1]);
    // (An `end` item has no chunk marker; the test then fails on the key, which says so.)
    const markerAtDeath = Number.isInteger(seq)
      ? (await pool.query<{ n: number }>(MARKER[victim], [rows[0].ingestion_no, seq])).rows[0].n
      : 0;
    const consumed = victim === 'bronze-loader' ? 'rawChunks' : 'bronzeWork';
    const [offsets] = await admin.fetchOffsets({ groupId: groupId(env, victim), topics: [topic(env, consumed)] });
    const committedAtDeath = Number(offsets.partitions.find((p) => p.partition === fault.partition)?.offset ?? -1);

    const restarted = await startService(victim, pipeline.env);
    if (victim === 'bronze-loader') pipeline.loader = restarted;
    else pipeline.transformer = restarted;
    const res = await uploading;
    if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
    // The restarted member joins once the group has given up on the killed one (session timeout, 30 s).
    const done = await waitForIngestion(pool, ingestionId, 75_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await pipeline.diagnose(ingestionId)}`, { cause: error });
    });
    const redelivered = logLines(restarted.output()).find(
      (l) => l.msg === REDELIVERED[victim] && l.partition === fault.partition && l.offset === fault.offset,
    );
    return {
      exit,
      faults,
      markerAtDeath,
      committedAtDeath,
      done,
      facts: await layerFacts(pool, done.ingestion_no, file, ROWS),
      redelivered,
    };
  } finally {
    await admin.disconnect();
  }
}

// Crash safety, deterministically: the consumer dies in the one window exactly-once is about — its
// transaction committed and its events published, the message's offset not committed — so Kafka
// redelivers a message whose work is already done (test/e2e/crash-safety kills at random moments).
describe('FAULT_EXIT_AFTER_COMMIT: a consumer killed between its database commit and its offset commit', () => {
  const pipelines: Pipeline[] = [];
  // Both scenarios run at once: each waits out a 30 s session timeout before its restarted member
  // gets the partitions, and they share nothing (own database, own topics).
  const outcomes = new Map<Consumer, Promise<Outcome>>();

  beforeAll(async () => {
    const base = { UPLOAD_CHUNK_BYTES: String(CHUNK_BYTES), LOG_LEVEL: 'info' };
    for (const victim of ['bronze-loader', 'transformer'] as const) {
      // Transformer: a segment per chunk, so the killed item's transaction wrote silver and gold.
      const extra: Record<string, string> =
        victim === 'transformer' ? { SEGMENT_ROWS: '1', SEGMENT_MAX_ROWS: '1' } : {};
      const pipeline = startPipeline(
        `exit${victim.replace('-', '')}`,
        { ...base, ...extra },
        {
          [victim]: { FAULT_EXIT_AFTER_COMMIT: String(FAULT_AT) },
        },
      );
      const outcome = pipeline.then((p) => {
        pipelines.push(p);
        return crashAndRecover(victim, p);
      });
      // Awaited by the test below; failures are reported there, not as an unhandled rejection here.
      outcome.catch(() => undefined);
      outcomes.set(victim, outcome);
    }
  });
  afterAll(async () => {
    await Promise.allSettled([...outcomes.values()]);
    await Promise.all(pipelines.map((p) => p.stop()));
  });

  it.each(['bronze-loader', 'transformer'] as const)(
    '%s dies after its handler committed, is redelivered the message, and every layer holds the file once',
    async (victim) => {
      const o = await outcomes.get(victim)!;
      // Died exactly there: SIGKILL, after logging the injected fault once, for a chunk's message.
      expect(o.exit).toEqual({ code: null, signal: 'SIGKILL' });
      expect(o.faults).toHaveLength(1);
      const [fault] = o.faults;
      expect(fault).toMatchObject({ level: 60, n: FAULT_AT, msg: expect.stringContaining('injected fault') });
      expect(fault.key).toMatch(/^[0-9a-f-]{36}:\d+$/);
      // Its transaction had committed (the marker is there) and its offset had not.
      expect(o.markerAtDeath).toBe(1);
      expect(o.committedAtDeath).toBeLessThanOrEqual(Number(fault.offset));
      // Restarted without the fault: the message came again and found its marker.
      expect(o.redelivered).toMatchObject({ msg: REDELIVERED[victim], partition: fault.partition });
      // Bronze, silver and gold hold the file exactly once.
      expect(o.facts).toEqual(exactlyOnce(ROWS));
      expect(Number(o.done.bronze_rows)).toBe(ROWS);
      expect(Number(o.done.silver_rows)).toBe(ROWS);
    },
    120_000,
  );
});
