import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/** While a request is handled: its logger (pino-http's `req.log`, which carries the request id). */
export const requestLogs = new AsyncLocalStorage<Logger>();

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * NestJS's logger interface over pino, so NestJS's own lines and every `new Logger(Context)` call land
 * in the same structured log, with the request id when called during a request. Arguments follow
 * NestJS's convention — when there are extra arguments, the last is the context (an instance of
 * NestJS's `Logger` appends its own) — plus pino's: a first argument that is an object is merged into
 * the line, so `logger.warn({ err }, 'message')` works as with pino.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const log = requestLogs.getStore() ?? this.root;
    const context = params.at(-1);
    const fields: Record<string, unknown> = typeof context === 'string' ? { context } : {};
    // NestJS passes `undefined` where a caller gave no argument but the logger has a context.
    const args = params.slice(0, -1).filter((p) => p !== undefined);
    const text = typeof args[0] === 'string' ? (args.shift() as string) : undefined;
    if (message instanceof Error) {
      log[level]({ ...fields, err: message }, text ?? message.message, ...args);
    } else if (typeof message === 'object' && message !== null) {
      log[level]({ ...fields, ...message }, text, ...args);
    } else if (level === 'error' && args.length === 0 && text !== undefined && /\n\s*at /.test(text)) {
      // The older `error(message, stack)` form, still used by some NestJS exception handlers.
      log.error({ ...fields, err: Object.assign(new Error(String(message)), { stack: text }) }, String(message));
    } else {
      log[level](fields, String(message), ...(text === undefined ? args : [text, ...args]));
    }
  }
}
