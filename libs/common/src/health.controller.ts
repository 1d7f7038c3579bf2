import { Controller, Get, Inject, Logger } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { PG_POOL } from '#db';
import { KAFKA } from '#kafka';

/**
 * Runs one dependency check. A failure reads `unreachable` (or the timeout) in the public answer:
 * driver messages name hosts, ports and users, so they go to the log only.
 */
function privately<T>(logger: Logger, what: string, check: () => Promise<T>): () => Promise<T> {
  return async () => {
    try {
      return await check();
    } catch (error) {
      logger.warn({ err: error }, `${what} health check failed`);
      throw new Error('unreachable', { cause: error });
    }
  };
}

/** `GET /health`: 200 when PostgreSQL and Kafka answer, 503 (with the failing check) otherwise. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(KAFKA) private readonly kafka: Kafka,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and dependencies: PostgreSQL and Kafka' })
  check() {
    return this.health.check([
      () =>
        this.indicators
          .check('database')
          .attempt(
            privately(this.logger, 'database', async () => {
              await this.pool.query('SELECT 1');
            }),
          )
          .withTimeout(3_000),
      () =>
        this.indicators
          .check('kafka')
          .attempt(
            privately(this.logger, 'kafka', async () => {
              const admin = this.kafka.admin({ retry: { retries: 0 } });
              await admin.connect();
              try {
                const cluster = await admin.describeCluster();
                return { brokers: cluster.brokers.length };
              } finally {
                await admin.disconnect();
              }
            }),
          )
          .withTimeout(5_000),
    ]);
  }
}
