import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, type Env } from '#config';
import { PG_POOL } from '#db';

/**
 * Settings of every query-api session, sent as startup options of each new connection (no extra
 * round trip). JIT off: the area queries are many short index range scans whose cost estimates cross
 * the JIT threshold, and compiling them costs more (hundreds of ms) than running them. A statement
 * timeout keeps a pathological request from holding a connection.
 */
@Injectable()
export class DbSession implements OnModuleInit {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CONFIG) private readonly env: Env,
  ) {}

  onModuleInit(): void {
    // The pool opens connections lazily with these options; nothing has connected before init.
    const options = (this.pool as unknown as { options: { options?: string } }).options;
    options.options = [options.options, '-c jit=off', `-c statement_timeout=${this.env.QUERY_API_STATEMENT_TIMEOUT_MS}`]
      .filter(Boolean)
      .join(' ');
  }
}
