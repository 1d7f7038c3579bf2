import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { DependencyCheck } from './health.checks.js';
import { DEPENDENCY_CHECKS, HealthController } from './health.controller.js';

/** `/health` with the checks a service declares, e.g. `HealthModule.forRoot([DatabaseHealth, KafkaHealth])`. */
@Module({})
export class HealthModule {
  /**
   * `checks`: the dependencies this service uses, as providers; `imports`: the modules exporting what
   * they inject, unless it is global (the pool, the Kafka client).
   */
  static forRoot(checks: Type<DependencyCheck>[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...imports],
      controllers: [HealthController],
      providers: [
        ...checks,
        { provide: DEPENDENCY_CHECKS, inject: checks, useFactory: (...all: DependencyCheck[]) => all },
      ],
    };
  }
}
