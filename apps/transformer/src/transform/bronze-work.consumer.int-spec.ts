import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type pg from 'pg';
import type { Env } from '#config';
import { parseIngestionEvent, type BronzeWorkV1, type IngestionEvent } from '#contracts';
import { createKafka, ensureTopics, groupId, topic } from '#kafka';
import { eventually, startService, testEnv, testPool, type RunningService } from '#testing';
import { createIngestion, generateBronze, type TestIngestion } from '../../test/bronze-fixtures.js';

/**
 * The transformer as a real process on the real broker: work items in, silver/gold in PostgreSQL,
 * events out. Own topic prefix, so no other spec's messages reach this consumer group.
 */
describe('transformer service (Kafka → PostgreSQL → events)', () => {
  const prefix = `${process.env.KAFKA_TOPIC_PREFIX ?? ''}tf.`;
  let env: Env;
  let pool: pg.Pool;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let observer: Consumer;
  let transformer: RunningService;
  const events: IngestionEvent[] = [];
  const deadLetters: { key: string; code: string }[] = [];

  beforeAll(async () => {
    env = testEnv({ KAFKA_TOPIC_PREFIX: prefix });
    pool = testPool();
    kafka = createKafka(env, 'transformer-spec');
    await ensureTopics(kafka, env);
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
    observer = kafka.consumer({ groupId: `${prefix}observer` });
    await observer.connect();
    await observer.subscribe({
      topics: [topic(env, 'ingestionEvents'), topic(env, 'deadLetter')],
      fromBeginning: true,
    });
    await observer.run({
      eachMessage: async ({ topic: from, message }) => {
        if (from === topic(env, 'deadLetter')) {
          deadLetters.push({
            key: message.key?.toString() ?? '',
            code: message.headers?.['dlq-error-code']?.toString() ?? '',
          });
        } else {
          events.push(parseIngestionEvent(JSON.parse(message.value!.toString())));
        }
      },
    });
    transformer = await startService('transformer', { KAFKA_TOPIC_PREFIX: prefix, PROGRESS_INTERVAL_MS: '0' });
  }, 120_000);

  afterAll(async () => {
    await transformer?.stop();
    await observer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await pool?.end();
  });

  const publish = (...items: BronzeWorkV1[]) =>
    producer.send({
      topic: topic(env, 'bronzeWork'),
      messages: items.map((w) => ({
        key: `${w.ingestionId}:${w.kind === 'chunk' ? w.seq : 'end'}`,
        value: JSON.stringify(w),
      })),
    });
  const chunkItem = (ing: TestIngestion, seq: number, firstLine: number, rows: number): BronzeWorkV1 => ({
    kind: 'chunk',
    ...ing,
    seq,
    firstLine,
    lastLine: firstLine + rows - 1,
    rows,
  });
  const endItem = (ing: TestIngestion, totalChunks: number): BronzeWorkV1 => ({ kind: 'end', ...ing, totalChunks });

  const ingestionRow = async (ingestionNo: number) =>
    (
      await pool.query(
        'SELECT state, claimed_chunks, silver_chunks, silver_rows::int, rejected_rows::int, error_stage, error_code FROM meta.ingestions WHERE ingestion_no = $1',
        [ingestionNo],
      )
    ).rows[0];

  /** Every work item handled (offsets commit after the publish) and every event it caused read. */
  async function settled(): Promise<void> {
    const workTopic = topic(env, 'bronzeWork');
    await eventually(
      async () => {
        const ends = await admin.fetchTopicOffsets(workTopic);
        const [committed] = await admin.fetchOffsets({ groupId: groupId(env, 'transformer'), topics: [workTopic] });
        return ends.every(
          (p) =>
            Number(p.offset) === 0 ||
            committed.partitions.find((c) => c.partition === p.partition)?.offset === p.offset,
        );
      },
      { what: 'transformer to commit every work item' },
    );
    for (const t of [topic(env, 'ingestionEvents'), topic(env, 'deadLetter')]) {
      await eventually(
        async () => {
          const ends = await admin.fetchTopicOffsets(t);
          const [committed] = await admin.fetchOffsets({ groupId: `${prefix}observer`, topics: [t] });
          return ends.every(
            (p) =>
              Number(p.offset) === 0 ||
              committed.partitions.find((c) => c.partition === p.partition)?.offset === p.offset,
          );
        },
        { what: `observer to read ${t}` },
      );
    }
  }

  const typesOf = (ingestionId: string) => events.filter((e) => e.ingestionId === ingestionId).map((e) => e.type);

  function expectCompletedOnce(ingestionId: string, validRows: number): void {
    const types = typesOf(ingestionId);
    const completion = types.filter((t) => t !== 'silver.progress');
    expect(completion).toEqual(['silver.completed', 'gold.completed', 'ingestion.completed']);
    // Progress comes before the completion events.
    expect(types.lastIndexOf('silver.progress')).toBeLessThan(types.indexOf('silver.completed'));
    const done = events.find((e) => e.ingestionId === ingestionId && e.type === 'ingestion.completed')!;
    expect(done.data).toMatchObject({ rows: validRows, validRows, rejectedRows: 0 });
    expect((done.data as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    const gold = events.find((e) => e.ingestionId === ingestionId && e.type === 'gold.completed')!;
    expect(gold.data).toEqual({ trips: validRows });
  }

  it('builds the chunks into a segment and completes the ingestion exactly once', async () => {
    const ing = await createIngestion(pool, { totalChunks: 3, bronzeCompleted: true, totalRows: 600 });
    const at = { region: `Kafkaville ${ing.ingestionNo}`, lon: 24.9, lat: 60.2 };
    for (const [seq, first] of [2, 202, 402].entries())
      await generateBronze(pool, ing.ingestionNo, first, 200, at, seq);
    await publish(chunkItem(ing, 0, 2, 200), chunkItem(ing, 1, 202, 200), chunkItem(ing, 2, 402, 200), endItem(ing, 3));

    await eventually(() => ingestionRow(ing.ingestionNo), {
      accept: (r) => r?.state === 'completed',
      what: 'ingestion completed',
    });
    expect(await ingestionRow(ing.ingestionNo)).toMatchObject({ silver_chunks: 3, silver_rows: 600, rejected_rows: 0 });
    const trips = await pool.query('SELECT count(*)::int AS n FROM silver.trips WHERE ingestion_no = $1', [
      ing.ingestionNo,
    ]);
    expect(trips.rows[0].n).toBe(600);
    await settled();
    expectCompletedOnce(ing.ingestionId, 600);
  });

  it('completes on the last chunk when the end item arrives before it', async () => {
    const ing = await createIngestion(pool, { totalChunks: 3, bronzeCompleted: true, totalRows: 300 });
    const at = { region: `Kafkaville ${ing.ingestionNo}`, lon: 25.9, lat: 60.2 };
    for (const [seq, first] of [2, 102, 202].entries())
      await generateBronze(pool, ing.ingestionNo, first, 100, at, seq);

    await publish(chunkItem(ing, 0, 2, 100), chunkItem(ing, 1, 102, 100));
    await eventually(() => ingestionRow(ing.ingestionNo), {
      accept: (r) => r?.claimed_chunks === 2,
      what: 'two chunks waiting for their segment',
    });
    await publish(endItem(ing, 3));
    await eventually(
      async () =>
        (await pool.query('SELECT 1 FROM meta.silver_end_markers WHERE ingestion_no = $1', [ing.ingestionNo]))
          .rowCount === 1,
      {
        what: 'end item handled',
      },
    );
    expect((await ingestionRow(ing.ingestionNo)).state).toBe('processing');
    await publish(chunkItem(ing, 2, 202, 100));

    await eventually(() => ingestionRow(ing.ingestionNo), {
      accept: (r) => r?.state === 'completed',
      what: 'ingestion completed',
    });
    await settled();
    expectCompletedOnce(ing.ingestionId, 300);
    const progress = events.filter((e) => e.ingestionId === ing.ingestionId && e.type === 'silver.progress');
    // One segment (SEGMENT_ROWS is far above 300 rows), built when the last chunk arrived.
    expect(progress.map((e) => e.eventId)).toEqual([`silver.progress:${ing.ingestionId}:3`]);
  });

  it('dead-letters a work item that contradicts bronze and fails the ingestion', async () => {
    const ing = await createIngestion(pool, { totalChunks: 1, bronzeCompleted: true });
    await generateBronze(pool, ing.ingestionNo, 2, 10, {
      region: `Kafkaville ${ing.ingestionNo}`,
      lon: 26.9,
      lat: 60.2,
    });
    await publish(chunkItem(ing, 0, 2, 11));

    await eventually(() => ingestionRow(ing.ingestionNo), {
      accept: (r) => r?.state === 'failed',
      what: 'ingestion failed',
    });
    expect(await ingestionRow(ing.ingestionNo)).toMatchObject({
      silver_chunks: 0,
      error_stage: 'silver',
      error_code: 'bronze_rows_mismatch',
    });
    await settled();
    expect(deadLetters).toContainEqual({ key: `${ing.ingestionId}:0`, code: 'bronze_rows_mismatch' });
    expect(typesOf(ing.ingestionId)).toEqual(['ingestion.failed']);
  });
});
