import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';
import { cellKeyOf, type IndexRange } from '../area/grid.js';

/** Sort key of a group: trip_count descending, then the primary key ascending. */
export type GroupKey = [
  tripCount: number,
  regionId: number,
  originCell: number,
  destinationCell: number,
  todBucket: number,
];

export interface GroupFilter {
  region?: string;
  /** Origin cells whose printed centre lies in the box, as a rectangle of grid indices. */
  originCells?: { x: IndexRange; y: IndexRange };
  todBucket?: number;
  after?: GroupKey;
  limit: number;
}

export interface GroupRow {
  region_id: number;
  region: string;
  origin_cell: string;
  destination_cell: string;
  tod_bucket: number;
  trip_count: string;
  first_seen: string;
  last_seen: string;
  datasources: string[];
}

@Injectable()
export class TripGroupsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** One page of groups, largest first; `limit` rows at most. */
  async page(filter: GroupFilter): Promise<GroupRow[]> {
    const values: unknown[] = [];
    const $ = (v: unknown, type: string) => (values.push(v), `$${values.length}::${type}`);
    const where: string[] = [];
    if (filter.region !== undefined) {
      where.push(
        `g.region_id = (SELECT region_id FROM silver.regions WHERE name_key = lower(trim(${$(filter.region, 'text')})))`,
      );
    }
    if (filter.originCells) {
      const { x, y } = filter.originCells;
      // One key range from the box's first to its last cell lets the primary key (region_id,
      // origin_cell, ...) be range-scanned once per region; the arithmetic below trims it to the box.
      where.push(
        `g.origin_cell BETWEEN ${$(cellKeyOf(x.lo, y.lo), 'bigint')} AND ${$(cellKeyOf(x.hi, y.hi), 'bigint')}`,
      );
      where.push(`silver.cell_y(g.origin_cell) BETWEEN ${$(y.lo, 'bigint')} AND ${$(y.hi, 'bigint')}`);
      where.push(`silver.cell_x(g.origin_cell) BETWEEN ${$(x.lo, 'bigint')} AND ${$(x.hi, 'bigint')}`);
    }
    if (filter.todBucket !== undefined) where.push(`g.tod_bucket = ${$(filter.todBucket, 'smallint')}`);
    if (filter.after) {
      const [count, region, origin, destination, bucket] = filter.after;
      const c = $(count, 'bigint');
      where.push(
        `(g.trip_count < ${c} OR (g.trip_count = ${c} AND (g.region_id, g.origin_cell, g.destination_cell, g.tod_bucket) > ` +
          `(${$(region, 'integer')}, ${$(origin, 'bigint')}, ${$(destination, 'bigint')}, ${$(bucket, 'smallint')})))`,
      );
    }
    const { rows } = await this.pool.query<GroupRow>(
      `SELECT g.region_id, r.name AS region, g.origin_cell, g.destination_cell, g.tod_bucket, g.trip_count,
              to_char(g.first_seen, 'YYYY-MM-DD"T"HH24:MI:SS') AS first_seen,
              to_char(g.last_seen, 'YYYY-MM-DD"T"HH24:MI:SS') AS last_seen,
              ARRAY(SELECT d.name FROM silver.datasources d WHERE d.datasource_id = ANY (g.datasource_ids) ORDER BY d.name) AS datasources
         FROM gold.trip_groups g
         JOIN silver.regions r ON r.region_id = g.region_id
        ${where.length ? `WHERE ${where.join('\n          AND ')}` : ''}
        ORDER BY g.trip_count DESC, g.region_id, g.origin_cell, g.destination_cell, g.tod_bucket
        LIMIT ${$(filter.limit, 'integer')}`,
      values,
    );
    return rows;
  }
}
