import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, SERVICE_NAME, type Env } from '#config';
import { createPool } from './pool.js';

/** Injection token of the service's pg pool. */
export const PG_POOL = Symbol('PG_POOL');

const poolProvider = (settings: (env: Env) => Record<string, string>) => ({
  provide: PG_POOL,
  inject: [CONFIG, SERVICE_NAME],
  useFactory: (env: Env, service: string): pg.Pool =>
    createPool(env.DATABASE_URL, env.DATABASE_POOL_SIZE, `trips-${service}`, settings(env)),
});

/** One pg pool per service process, closed on shutdown. */
@Global()
@Module({ providers: [poolProvider(() => ({}))], exports: [PG_POOL] })
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** The pool with settings for every session of the service (startup options of each connection). */
  static withSessionSettings(settings: (env: Env) => Record<string, string>): DynamicModule {
    return { module: DbModule, providers: [poolProvider(settings)], exports: [PG_POOL] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
