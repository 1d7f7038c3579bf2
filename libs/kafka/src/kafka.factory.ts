import kafkajs, { Kafka, logLevel, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { Env } from '#config';
import { topicName, type TopicKey } from '#contracts';

const LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go through our structured logger. */
export function createKafka(env: Env, clientId: string, logger?: Logger): Kafka {
  return new Kafka({
    clientId: `${env.KAFKA_CLIENT_ID}-${clientId}`,
    brokers: env.KAFKA_BROKERS.split(','),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        if (logger) logger[LEVEL[level] ?? 'info']({ kafka: rest }, message);
      },
  });
}

/** Full topic name for this environment. */
export const topic = (env: Env, key: TopicKey): string => topicName(env.KAFKA_TOPIC_PREFIX, key);

/** Consumer group id for this environment. */
export const groupId = (env: Env, name: string): string => `${env.KAFKA_TOPIC_PREFIX}${name}`;

/**
 * The largest message the raw-chunk and dead-letter topics accept. A chunk holds whole records of
 * about UPLOAD_CHUNK_BYTES; one holding a longer record (up to UPLOAD_MAX_RECORD_BYTES) is that record
 * plus at most the rest of the piece of input it ended in (a socket or zlib read, ≤ 64 KiB), and the
 * message adds its key and headers. 1 MiB of margin covers both.
 */
export const kafkaMessageMaxBytes = (env: Env): number =>
  Math.max(env.UPLOAD_CHUNK_BYTES, env.UPLOAD_MAX_RECORD_BYTES) + 1024 ** 2;

/** Per-topic settings applied at creation and again at every start (alterConfigs replaces the set). */
function rawChunkConfig(env: Env): { name: string; value: string }[] {
  return [
    // The bronze-loader deletes what it has committed (TopicTrimmer); the broker frees the disk a
    // whole segment at a time, so segments are small.
    { name: 'segment.bytes', value: String(64 * 1024 * 1024) },
    { name: 'max.message.bytes', value: String(kafkaMessageMaxBytes(env)) },
  ];
}

/** The project's topics with their partition counts. */
export function topicSpecs(env: Env): ITopicConfig[] {
  return [
    {
      topic: topic(env, 'rawChunks'),
      numPartitions: env.KAFKA_RAW_PARTITIONS,
      replicationFactor: 1,
      configEntries: rawChunkConfig(env),
    },
    { topic: topic(env, 'bronzeWork'), numPartitions: env.KAFKA_WORK_PARTITIONS, replicationFactor: 1 },
    {
      topic: topic(env, 'ingestionEvents'),
      numPartitions: env.KAFKA_EVENTS_PARTITIONS,
      replicationFactor: 1,
      // Downstream consumers may join late: keep events a week.
      configEntries: [{ name: 'retention.ms', value: String(7 * 24 * 3600 * 1000) }],
    },
    {
      topic: topic(env, 'deadLetter'),
      numPartitions: 1,
      replicationFactor: 1,
      // A dead-lettered raw chunk keeps its value.
      configEntries: [{ name: 'max.message.bytes', value: String(kafkaMessageMaxBytes(env)) }],
    },
  ];
}

/** Creates the project's topics if missing (idempotent); returns the names it created. */
export async function ensureTopics(kafka: Kafka, env: Env): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicSpecs(env).filter((t) => !existing.has(t.topic));
    if (missing.length) {
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: true });
      } catch (error) {
        // Another process created them in between: fine.
        if (!/already exists/i.test(String((error as Error).message))) throw error;
      }
    }
    // Topics created by an earlier version (or with another UPLOAD_MAX_RECORD_BYTES) get today's limits.
    const configured = topicSpecs(env).filter((t) => existing.has(t.topic) && t.configEntries);
    if (configured.length) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: configured.map((t) => ({
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: t.topic,
          configEntries: t.configEntries ?? [],
        })),
      });
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
