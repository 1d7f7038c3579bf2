import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { logFormat, type Env } from '#config';

/**
 * The process's one pino logger; everything logs through it (NestJS via {@link NestPinoLogger},
 * request logs, kafkajs, the consumers' child loggers). Every line carries the service name: JSON
 * lines, or readable ones for a developer's terminal ({@link logFormat}). Written to stdout, or to
 * `out` (tests).
 */
export function createRootLogger(env: Env, service: string, out?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level: env.LOG_LEVEL,
    base: { service },
    // Request logs carry only method and url (requestLogger); this also keeps credentials out of
    // anything that logs a request whole.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  };
  const tty = (out ?? process.stdout) === process.stdout && process.stdout.isTTY === true;
  if (logFormat(env, tty) === 'json') return out ? pino(options, out) : pino(options);
  return pino(
    options,
    pretty({
      destination: out ?? 1,
      // Colours on a terminal only, not in a file LOG_FORMAT=pretty is piped to.
      colorize: tty,
      // Written before the call returns, so the last lines before a crash or process.exit show.
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      // A record's fields as JSON on its line (an error's stack still below it): five services interleave.
      singleLine: true,
      // Shown at the start of the line instead (prettyMessage).
      ignore: 'service,context,component,req,res,responseTime',
      messageFormat: (log, messageKey, _level, { colors }) => prettyMessage(log, messageKey, colors.bold),
    }),
  );
}

/** The longest service name (upload-gateway), so that the messages of all five line up. */
const SERVICE_WIDTH = 14;

/**
 * The message part of a readable line: the service, the NestJS context or component, the message,
 * and for a request log its method, url, status and time.
 */
export function prettyMessage(
  log: Record<string, unknown>,
  messageKey: string,
  highlight: (text: string) => string = (text) => text,
): string {
  const str = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  const parts = [highlight(str(log.service).padEnd(SERVICE_WIDTH))];
  for (const key of ['context', 'component']) if (str(log[key])) parts.push(`[${str(log[key])}]`);
  parts.push(str(log[messageKey]));
  const req = log.req as { method?: unknown; url?: unknown } | undefined;
  const res = log.res as { statusCode?: unknown } | undefined;
  if (req) parts.push(`${str(req.method)} ${str(req.url)}`);
  if (res)
    parts.push(`→ ${str(res.statusCode)}${log.responseTime === undefined ? '' : ` (${str(log.responseTime)} ms)`}`);
  return parts.filter(Boolean).join(' ');
}
