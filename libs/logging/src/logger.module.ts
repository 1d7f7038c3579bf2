import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, SERVICE_NAME, type Env } from '#config';
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
      inject: [CONFIG, SERVICE_NAME],
      useFactory: (env: Env, service: string): Logger => createRootLogger(env, service),
    },
    { provide: NestPinoLogger, inject: [LOGGER], useFactory: (root: Logger) => new NestPinoLogger(root) },
  ],
  exports: [LOGGER, NestPinoLogger],
})
export class LoggerModule {}
