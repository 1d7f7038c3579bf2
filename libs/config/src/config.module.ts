import { Global, Module } from '@nestjs/common';
import { loadConfig, type Env } from './config.js';

/** Injection token of the validated {@link Env}. */
export const CONFIG = Symbol('CONFIG');

/** Provides the validated config; validation runs once, when the module is created (fail fast). */
@Global()
@Module({
  providers: [{ provide: CONFIG, useFactory: (): Env => loadConfig() }],
  exports: [CONFIG],
})
export class ConfigModule {}
