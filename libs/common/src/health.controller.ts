import { Controller, Get, Inject, Logger } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { DependencyCheck } from './health.checks.js';

/** Injection token of the checks a service declared (`HealthModule.forRoot`). */
export const DEPENDENCY_CHECKS = Symbol('DEPENDENCY_CHECKS');

/**
 * `GET /health`: 200 when every dependency this service declared answers, 503 (with the failing
 * checks) otherwise. A failure reads `unreachable` (or the timeout) in the public answer: driver
 * messages name hosts, ports and users, so they go to the log only.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(DEPENDENCY_CHECKS) private readonly checks: DependencyCheck[],
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and the dependencies this service uses' })
  check() {
    return this.health.check(
      this.checks.map(
        (dependency) => () =>
          this.indicators
            .check(dependency.name)
            .attempt(async (options) => {
              try {
                return await dependency.probe(options);
              } catch (error) {
                this.logger.warn({ err: error }, `${dependency.name} health check failed`);
                throw new Error('unreachable', { cause: error });
              }
            })
            .withTimeout(dependency.timeoutMs),
      ),
    );
  }
}
