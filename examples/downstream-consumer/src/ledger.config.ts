import { topicName } from '#contracts';

/** The example's own settings. It shares no configuration code with the platform, as a team downstream would. */
export interface LedgerConfig {
  /** `KAFKA_BROKERS`: the platform's brokers, `host:port[,host:port…]`. */
  brokers: string[];
  /** `KAFKA_TOPIC_PREFIX`: the platform environment's prefix; it also prefixes our consumer group. */
  topicPrefix: string;
  /** `LEDGER_GROUP_ID`: our consumer group. A new group reads the topic from its oldest retained event. */
  groupId: string;
  /** `LEDGER_DATABASE_URL`: our own PostgreSQL database (created if missing), not the platform's. */
  databaseUrl: string;
  /** `LEDGER_HOST`, `LEDGER_PORT`: where `GET /ledger` listens. */
  host: string;
  port: number;
}

/**
 * The public events topic under the environment's prefix. A function of the process environment alone,
 * because `@EventPattern` takes it when the controller class is defined, before any configuration object
 * exists.
 */
export function eventsTopic(env: NodeJS.ProcessEnv = process.env): string {
  return topicName(env.KAFKA_TOPIC_PREFIX ?? '', 'ingestionEvents');
}

/** Reads and checks the environment; throws one error naming every bad variable. */
export function loadLedgerConfig(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const problems: string[] = [];
  const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
  if (brokers.some((b) => !/^[^\s:]+:\d+$/.test(b))) problems.push('KAFKA_BROKERS must be host:port[,host:port…]');
  const port = Number(env.LEDGER_PORT ?? 3010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('LEDGER_PORT must be a port number');
  const databaseUrl = env.LEDGER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trips_ledger';
  if (!URL.canParse(databaseUrl)) problems.push('LEDGER_DATABASE_URL must be a postgres:// URL');
  const groupId = env.LEDGER_GROUP_ID ?? 'downstream-ledger';
  if (!groupId) problems.push('LEDGER_GROUP_ID must not be empty');
  if (problems.length) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  const topicPrefix = env.KAFKA_TOPIC_PREFIX ?? '';
  return {
    brokers,
    topicPrefix,
    groupId: `${topicPrefix}${groupId}`,
    databaseUrl,
    host: env.LEDGER_HOST ?? '127.0.0.1',
    port,
  };
}
