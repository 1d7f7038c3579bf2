import { Global, Module, type DynamicModule } from '@nestjs/common';
import { loadConfig, type Env } from './config.js';

/** Injection token of the validated {@link Env}. */
export const CONFIG = Symbol('CONFIG');

/** Injection token of the service's name (`query-api`, …): logs, the Kafka client id, the database application name. */
export const SERVICE_NAME = Symbol('SERVICE_NAME');

/**
 * Provides the validated config and the service's name; validation runs once, when the module is
 * created (fail fast).
 */
@Global()
@Module({})
export class ConfigModule {
  static forService(name: string): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: CONFIG, useFactory: (): Env => loadConfig() },
        { provide: SERVICE_NAME, useValue: name },
      ],
      exports: [CONFIG, SERVICE_NAME],
    };
  }
}
