import { pino, type Logger } from 'pino';
import type { Env } from '#config';

/**
 * The process's one pino logger: JSON lines tagged with the service name. Everything logs through it
 * (NestJS via {@link NestPinoLogger}, request logs, kafkajs, the consumers' child loggers).
 */
export function createRootLogger(env: Env, service: string): Logger {
  return pino({
    level: env.LOG_LEVEL,
    base: { service },
    // Request logs carry only method and url (requestLogger); this also keeps credentials out of
    // anything that logs a request whole.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  });
}
