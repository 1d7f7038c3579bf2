import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { requestLogs } from './nest-logger.js';

/**
 * Express middleware: one line per finished request (method, url, status, time; no headers or
 * bodies), `/health` left out, and the request's logger made current for NestJS's logger.
 */
export function requestLogger(root: Logger): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const http = pinoHttp({
    logger: root,
    autoLogging: { ignore: (req) => req.url === '/health' },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req, res, next) => http(req, res, () => requestLogs.run(req.log, next));
}
