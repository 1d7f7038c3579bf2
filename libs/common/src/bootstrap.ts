import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { corsOrigins, loadConfig, type Env } from '#config';
import { LOGGER, NestPinoLogger, requestLogger } from '#logging';
import { AppExceptionFilter } from './errors.js';

export interface ServiceOptions {
  name: string;
  /** The env key of this service's HTTP port. */
  portKey: 'UPLOAD_GATEWAY_PORT' | 'QUERY_API_PORT' | 'NOTIFIER_PORT' | 'BRONZE_LOADER_PORT' | 'TRANSFORMER_PORT';
  /** Extra setup before listen (OpenAPI, static files, websockets). */
  configure?(app: INestApplication, env: Env): void | Promise<void>;
  /** Origins a page this service serves may fetch from (Content-Security-Policy connect-src), besides its own. */
  connectSources?(env: Env): string[];
  /**
   * Resolves, with the reason, when the service must not run: a condition no retry can fix, found by
   * a provider (the transformer's grid settings differ from the database's). Providers never exit the
   * process; the bootstrap logs the reason as fatal, closes the application and exits with code 1.
   */
  refusal?(app: INestApplication): Promise<Error>;
}

/**
 * Boots one service process: validates the env first (fail fast with the list of bad keys),
 * structured logs, one error format, graceful shutdown on SIGINT/SIGTERM, exit code 1 when the
 * service refuses to run (`refusal`).
 */
export async function bootstrapService(module: unknown, options: ServiceOptions): Promise<INestApplication> {
  let env: Env;
  try {
    env = loadConfig();
  } catch (error) {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: options.name, msg: (error as Error).message })}\n`,
    );
    process.exit(1);
  }
  const app = await NestFactory.create(module as never, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(NestPinoLogger));
  const log = app.get<Logger>(LOGGER);
  app.use(requestLogger(log));
  app.useGlobalFilters(new AppExceptionFilter());
  app.enableCors({ origin: corsOrigins(env) });
  // Security headers. The CSP matters for the pages served here (the dashboard, /docs): scripts only
  // from this origin, requests only to it and to the services it names. No upgrade to https: a
  // developer machine serves plain http on localhost.
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          connectSrc: ["'self'", ...(options.connectSources?.(env) ?? [])],
          upgradeInsecureRequests: null,
        },
      },
    }),
  );
  app.enableShutdownHooks();
  // A client that trickles its headers (slowloris) is dropped; bodies have their own limits.
  (app.getHttpServer() as Server).headersTimeout = env.HTTP_HEADERS_TIMEOUT_MS;
  await options.configure?.(app, env);
  await app.listen(env[options.portKey], env.HTTP_HOST);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  log.info({ port: address.port }, `${options.name} listening on http://localhost:${address.port}`);
  void options.refusal?.(app).then((reason) => refuseToRun(app, log, options.name, reason));
  return app;
}

/** Stops a service that must not run: the reason as a fatal line, the application closed, exit code 1. */
async function refuseToRun(app: INestApplication, log: Logger, name: string, reason: Error): Promise<never> {
  log.fatal({ err: reason, context: 'bootstrap' }, `${name} refuses to run: ${reason.message}`);
  // Consumers leave their groups and pools close, as on SIGTERM; a failure there does not stop the exit.
  await app.close().catch(() => undefined);
  process.exit(1);
}
