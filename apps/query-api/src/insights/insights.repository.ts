import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';

export interface RegionLatestRow {
  region: string;
  trips: string;
  occurred_at: string | null;
  datasource: string | null;
}

/**
 * The two classic questions. The same answers as sql/queries/latest-datasource.sql and
 * datasource-regions.sql, which count straight from silver (tests hold them equal), taken from gold:
 * region totals from weekly_region_counts, each region's latest trip from region_latest.
 */
@Injectable()
export class InsightsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /**
   * The `top` regions by trip count (ties by name), each with its most recent trip (ties between
   * trips at the same second: datasource name).
   */
  async topRegionsLatest(top: number): Promise<RegionLatestRow[]> {
    const { rows } = await this.pool.query<RegionLatestRow>(
      `WITH top_regions AS (
         SELECT w.region_id, r.name, sum(w.trips)::bigint AS trips
           FROM gold.weekly_region_counts w
           JOIN silver.regions r ON r.region_id = w.region_id
          GROUP BY w.region_id, r.name
          ORDER BY trips DESC, r.name
          LIMIT $1::integer
       )
       SELECT t.name AS region, t.trips, to_char(l.occurred_at, 'YYYY-MM-DD"T"HH24:MI:SS') AS occurred_at, d.name AS datasource
         FROM top_regions t
         LEFT JOIN gold.region_latest l ON l.region_id = t.region_id
         LEFT JOIN silver.datasources d ON d.datasource_id = l.datasource_id
        ORDER BY t.trips DESC, t.name`,
      [top],
    );
    return rows;
  }

  /** Regions where a datasource appeared, with its trip count there, by region name; empty when unknown. */
  async datasourceRegions(datasource: string): Promise<{ region: string; trips: string }[]> {
    const { rows } = await this.pool.query<{ region: string; trips: string }>(
      `SELECT r.name AS region, sum(w.trips)::bigint AS trips
         FROM gold.weekly_region_counts w
         JOIN silver.regions r ON r.region_id = w.region_id
        WHERE w.datasource_id = (SELECT datasource_id FROM silver.datasources WHERE name = trim($1))
        GROUP BY r.name
        ORDER BY r.name`,
      [datasource],
    );
    return rows;
  }
}
