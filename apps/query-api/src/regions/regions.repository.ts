import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';

/**
 * Region names, for suggestions: the regions with counted trips. gold.region_latest has a row for
 * each of them (its latest trip over completed ingestions; a retraction recomputes it, and drops it
 * with the region's last trip), one per region, so the check stays cheap with many regions (40,001
 * regions, no prefix: 35 ms, against 395 ms probing gold.weekly_region_counts, one row per region,
 * week and datasource). A name the transformer saw only in an ingestion still running, failed or
 * retracted is not suggested.
 */
@Injectable()
export class RegionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /**
   * Names whose case-insensitive key starts with `prefix` (every name when it is empty), in key
   * order, `limit` at most. starts_with, not LIKE: `%` and `_` in a prefix are plain characters.
   */
  async names(prefix: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT r.name FROM silver.regions r
        WHERE starts_with(r.name_key, lower(trim($1::text)))
          AND EXISTS (SELECT 1 FROM gold.region_latest l WHERE l.region_id = r.region_id)
        ORDER BY r.name_key COLLATE "C"
        LIMIT $2::integer`,
      [prefix, limit],
    );
    return rows.map((r) => r.name);
  }
}
