import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, type Env } from '#config';
import { createPool } from './pool.js';

/** Injection token of the service's pg pool. */
export const PG_POOL = Symbol('PG_POOL');

/** One pg pool per service process, closed on shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [CONFIG],
      useFactory: (env: Env): pg.Pool =>
        createPool(env.DATABASE_URL, env.DATABASE_POOL_SIZE, `trips-${process.env.SERVICE_NAME ?? 'service'}`),
    },
  ],
  exports: [PG_POOL],
})
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
