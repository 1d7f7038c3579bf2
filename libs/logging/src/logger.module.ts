import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Env } from '#config';
import { NestPinoLogger } from './nest-logger.js';
import { createRootLogger } from './root-logger.js';

/** Injection token of the service's root pino {@link Logger}; take a child per component. */
export const LOGGER = Symbol('LOGGER');

/** Provides the root pino logger ({@link LOGGER}) and NestJS's logger over it ({@link NestPinoLogger}). */
@Global()
@Module({
  providers: [
    {
      provide: LOGGER,
      inject: [CONFIG],
      useFactory: (env: Env): Logger => createRootLogger(env, process.env.SERVICE_NAME ?? 'trips'),
    },
    { provide: NestPinoLogger, inject: [LOGGER], useFactory: (root: Logger) => new NestPinoLogger(root) },
  ],
  exports: [LOGGER, NestPinoLogger],
})
export class LoggerModule {}
