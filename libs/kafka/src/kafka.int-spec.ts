import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { makeEvent, parseIngestionEvent, type IngestionEvent } from '#contracts';
import { eventually, testEnv } from '#testing';
import { ConsumerRunner, PermanentMessageError } from './consumer.js';
import { createKafka, ensureTopics, groupId, topic } from './kafka.factory.js';
import { Publisher } from './publisher.js';
import { TopicTrimmer } from './topic-trimmer.js';

const env = testEnv({ KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX}kafka.` });
const log = pino({ level: 'silent' });
const kafka = createKafka(env, 'kafka-int-spec', log);
const publisher = new Publisher(kafka, env);

describe('libs/kafka against the real broker', () => {
  beforeAll(async () => {
    const created = await ensureTopics(kafka, env);
    expect(created).toContain(topic(env, 'ingestionEvents'));
    expect(await ensureTopics(kafka, env)).toEqual([]); // idempotent
  });
  afterAll(() => publisher.disconnect());

  it('publishes a typed event and consumes it back in a group with committed offsets', async () => {
    const ingestionId = randomUUID();
    const received: IngestionEvent[] = [];
    const group = groupId(env, `events-${ingestionId}`);
    const runner = new ConsumerRunner(kafka, publisher, {
      groupId: group,
      topic: topic(env, 'ingestionEvents'),
      concurrency: 1,
      log,
      handle: async ({ message }) => {
        const event = parseIngestionEvent(JSON.parse(message.value!.toString()));
        if (event.ingestionId === ingestionId) received.push(event);
      },
    });
    await runner.start();
    await publisher.publishEvent(
      makeEvent('upload.completed', ingestionId, { chunks: 2, rows: 100, bytes: 9000, sha256: 'ab' }),
    );
    await publisher.publishEvent(makeEvent('bronze.completed', ingestionId, { chunks: 2, rows: 100 }));
    await eventually(() => received.length === 2, { what: 'two events consumed' });
    expect(received.map((e) => e.eventId)).toEqual([
      `upload.completed:${ingestionId}`,
      `bronze.completed:${ingestionId}`,
    ]);
    expect(received[0].data).toEqual({ chunks: 2, rows: 100, bytes: 9000, sha256: 'ab' });
    expect(received[0].layer).toBe('upload');
    await runner.stop();

    // The group's committed offsets now point past both messages (same partition: same key).
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic(env, 'ingestionEvents')] });
    const topicOffsets = await admin.fetchTopicOffsets(topic(env, 'ingestionEvents'));
    await admin.disconnect();
    const byPartition = new Map(topicOffsets.map((p) => [p.partition, p.high]));
    const ours = committed.partitions.filter((p) => Number(p.offset) >= 0);
    expect(ours.length).toBeGreaterThan(0);
    for (const p of ours) expect(p.offset).toBe(byPartition.get(p.partition));

    // A restarted member of the same group resumes after the committed offsets: it sees only new messages.
    const again: string[] = [];
    const restarted = new ConsumerRunner(kafka, publisher, {
      groupId: group,
      topic: topic(env, 'ingestionEvents'),
      concurrency: 1,
      log,
      handle: async ({ message }) => {
        const event = parseIngestionEvent(JSON.parse(message.value!.toString()));
        if (event.ingestionId === ingestionId) again.push(event.type);
      },
    });
    await restarted.start();
    await publisher.publishEvent(makeEvent('silver.completed', ingestionId, { validRows: 100, rejectedRows: 0 }));
    await eventually(() => again.length === 1, { what: 'the new event' });
    expect(again).toEqual(['silver.completed']);
    await restarted.stop();
  });

  it('dead-letters a message that can never succeed, with the reason', async () => {
    const marker = randomUUID();
    const dead: { code?: string; key?: string }[] = [];
    const failing = new ConsumerRunner(kafka, publisher, {
      groupId: groupId(env, `failing-${marker}`),
      topic: topic(env, 'bronzeWork'),
      concurrency: 1,
      log,
      handle: async () => {
        throw new PermanentMessageError('malformed', 'cannot parse');
      },
      onDeadLetter: async (ctx, error) => {
        dead.push({ code: error.code, key: ctx.message.key?.toString() });
      },
    });
    const dlq = new ConsumerRunner(kafka, publisher, {
      groupId: groupId(env, `dlq-${marker}`),
      topic: topic(env, 'deadLetter'),
      concurrency: 1,
      log,
      handle: async ({ message }) => {
        if (message.key?.toString() === marker)
          dead.push({ code: message.headers?.['dlq-error-code']?.toString(), key: 'dlq' });
      },
    });
    await Promise.all([failing.start(), dlq.start()]);
    await publisher.send('bronzeWork', [{ key: marker, value: 'not json' }]);
    await eventually(() => dead.length === 2, { what: 'dead letter published and reported' });
    expect(dead).toEqual(
      expect.arrayContaining([
        { code: 'malformed', key: marker },
        { code: 'malformed', key: 'dlq' },
      ]),
    );
    await Promise.all([failing.stop(), dlq.stop()]);
  });

  it('dead-letters an unexpected error with its text for operators only, a generic message for clients', async () => {
    const marker = randomUUID();
    const internal = 'index row size 6016 exceeds btree version 4 maximum 2704 for index "regions_name_key_key"';
    const reported: { code: string; message: string }[] = [];
    const dlqMessages: string[] = [];
    const failing = new ConsumerRunner(kafka, publisher, {
      groupId: groupId(env, `unexpected-${marker}`),
      topic: topic(env, 'bronzeWork'),
      concurrency: 1,
      log,
      handle: async ({ message }) => {
        if (message.key?.toString() === marker) throw new Error(internal);
      },
      onDeadLetter: async (_, error) => {
        reported.push({ code: error.code, message: error.message });
      },
    });
    const dlq = new ConsumerRunner(kafka, publisher, {
      groupId: groupId(env, `dlq-unexpected-${marker}`),
      topic: topic(env, 'deadLetter'),
      concurrency: 1,
      log,
      handle: async ({ message }) => {
        if (message.key?.toString() === marker) dlqMessages.push(String(message.headers?.['dlq-error-message']));
      },
    });
    await Promise.all([failing.start(), dlq.start()]);
    await publisher.send('bronzeWork', [{ key: marker, value: '{}' }]);
    await eventually(() => reported.length === 1 && dlqMessages.length === 1, { what: 'dead letter and report' });
    expect(reported[0].code).toBe('processing_error');
    expect(reported[0].message).not.toContain('regions_name_key');
    expect(dlqMessages).toEqual([internal]);
    await Promise.all([failing.stop(), dlq.stop()]);
  });

  it('trims the raw-chunk topic up to what its group committed, and never past it', async () => {
    const marker = randomUUID();
    const rawTopic = topic(env, 'rawChunks');
    const group = groupId(env, `trim-${marker}`);
    const consumed: string[] = [];
    const runner = new ConsumerRunner(kafka, publisher, {
      groupId: group,
      topic: rawTopic,
      concurrency: 1,
      log,
      handle: async ({ message }) => {
        consumed.push(message.key?.toString() ?? '');
      },
    });
    await runner.start();
    const keys = Array.from({ length: 12 }, (_, i) => `${marker}:${i}`);
    await publisher.send(
      'rawChunks',
      keys.map((key) => ({ key, value: 'x' })),
    );
    await eventually(() => keys.every((k) => consumed.includes(k)), { what: 'the chunks consumed' });
    await runner.stop();
    // Published after the group stopped: not committed, so never trimmed.
    await publisher.send('rawChunks', [{ key: `${marker}:late`, value: 'y' }]);

    const trimmer = new TopicTrimmer(kafka, { topic: rawTopic, groupId: group, intervalMs: 0, log });
    expect(await trimmer.trimOnce()).toBeGreaterThan(0);
    expect(await trimmer.trimOnce()).toBe(0); // nothing new committed
    await trimmer.stop();

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [rawTopic] });
    const offsets = await admin.fetchTopicOffsets(rawTopic);
    await admin.disconnect();
    const low = new Map(offsets.map((p) => [p.partition, Number(p.low)]));
    const high = new Map(offsets.map((p) => [p.partition, Number(p.high)]));
    let retained = 0;
    for (const p of committed.partitions) {
      // The log now starts at the committed offset: everything consumed is gone, the rest is kept.
      if (Number(p.offset) >= 0) expect(low.get(p.partition)).toBe(Number(p.offset));
      retained += high.get(p.partition)! - low.get(p.partition)!;
    }
    expect(retained).toBe(1);
  });
});
