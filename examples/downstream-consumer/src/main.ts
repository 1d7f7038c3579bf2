/**
 * An example downstream consumer of the platform's public events (README, "Consuming the events
 * downstream"): a hybrid NestJS app that consumes `trips.ingestion-events.v1` with Nest's standard Kafka
 * transport and serves the per-ingestion ledger it keeps at `GET /ledger`.
 *
 * It depends on the platform only through the published contract (`#contracts`: topic name, event
 * types); a team elsewhere would take the same types from the contracts package or generate them from
 * docs/asyncapi.yaml.
 */
import 'reflect-metadata';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Partitioners } from 'kafkajs';
import { LedgerAppModule } from './app.module.js';
import { eventsTopic, loadLedgerConfig, type LedgerConfig } from './ledger.config.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
/** LOG_LEVEL as the platform spells it (pino: info, debug, trace), mapped to Nest's levels. */
function logLevels(level = 'info'): LogLevel[] {
  const nest = ({ info: 'log', trace: 'verbose' } as Record<string, string>)[level] ?? level;
  const index = LEVELS.indexOf(nest as LogLevel);
  return LEVELS.slice(0, index < 0 ? 4 : index + 1);
}

let config: LedgerConfig;
try {
  config = loadLedgerConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

const logger = new ConsoleLogger('downstream-ledger', { json: true, logLevels: logLevels(process.env.LOG_LEVEL) });
const app = await NestFactory.create(LedgerAppModule.forRoot(config), { logger });
app.connectMicroservice<MicroserviceOptions>({
  transport: Transport.KAFKA,
  options: {
    client: { clientId: 'downstream-ledger', brokers: config.brokers },
    // Exactly our group id: Nest would otherwise append "-server".
    postfixId: '',
    // No auto-creation: a wrong KAFKA_TOPIC_PREFIX fails the start instead of creating an empty topic.
    consumer: { groupId: config.groupId, allowAutoTopicCreation: false },
    // Nest's server also opens a producer (for request-reply, unused here); naming its partitioner
    // silences kafkajs' warning about the v2 default.
    producer: { createPartitioner: Partitioners.DefaultPartitioner },
    // A new group starts at the oldest event the topic keeps (7 days), so a new ledger catches up.
    subscribe: { fromBeginning: true },
  },
});
// SIGTERM: the consumer finishes the event in flight and leaves the group, then the pool closes.
app.enableShutdownHooks();
// Tables first (the repository's onModuleInit), then the consumer, then HTTP.
await app.init();
try {
  await app.startAllMicroservices();
} catch (error) {
  // Kafka unreachable, or no such topic (a wrong prefix): exit, for a process manager to retry or a human to fix.
  logger.fatal(`cannot consume ${eventsTopic()}: ${(error as Error).message}`);
  process.exit(1);
}
await app.listen(config.port, config.host);
logger.log(`ledger on http://${config.host}:${config.port}/ledger, consuming as group ${config.groupId}`);
