import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';

/** Region names, for suggestions: every region the transformer has seen (silver.regions). */
@Injectable()
export class RegionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /**
   * Names whose case-insensitive key starts with `prefix` (every name when it is empty), in key
   * order, `limit` at most. starts_with, not LIKE: `%` and `_` in a prefix are plain characters.
   */
  async names(prefix: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT name FROM silver.regions
        WHERE starts_with(name_key, lower(trim($1::text)))
        ORDER BY name_key COLLATE "C"
        LIMIT $2::integer`,
      [prefix, limit],
    );
    return rows.map((r) => r.name);
  }
}
