import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';

/**
 * One dependency a service's `/health` checks. Each service lists the ones it really uses
 * (`HealthModule.forRoot([...])`), so a dependency it never touches cannot turn it 503, and it
 * needs no client for it (query-api has no Kafka client at all).
 */
export interface DependencyCheck {
  /** The key in the answer (`info.<name>`, `error.<name>`). */
  readonly name: string;
  /** The dependency counts as down when the probe has not answered within this time. */
  readonly timeoutMs: number;
  /**
   * Resolves when the dependency answers, with details fit for the public answer (no hosts, no
   * driver messages); throws otherwise, the error going to the log only.
   */
  probe(options: { signal: AbortSignal }): Promise<Record<string, unknown> | void>;
}

/** PostgreSQL answers a query on the service's pool. */
@Injectable()
export class DatabaseHealth implements DependencyCheck {
  readonly name = 'database';
  readonly timeoutMs = 3_000;

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async probe(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}
