import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#db';
import { CELL_OFFSET, ROW_STRIDE, type Bbox, type BoxCells, type KeyRange } from '../area/grid.js';
import type { MatchMode } from '../area/area.js';

/** Weekly trip counts keyed by week (Monday, `YYYY-MM-DD`); weeks without trips are absent. */
export type WeeklyCounts = Map<string, number>;

/** The weeks and optional datasource a count is restricted to. */
export interface CountScope {
  /** First and last Monday of the period, `YYYY-MM-DD`, inclusive. */
  firstWeek: string;
  lastWeek: string;
  /** The day after the period's last Sunday (exclusive bound for trip timestamps). */
  endExclusive: string;
  /** Restrict to one datasource (its dictionary id). */
  datasourceId?: number;
}

/** Collects bound parameters: every value from a request reaches PostgreSQL as a parameter, never as SQL text. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/**
 * SQL of the weekly-average questions. Region: gold.weekly_region_counts. Bounding box: gold cell
 * counts for the cells wholly inside the box plus single silver trips in the cells its edge cuts,
 * so the answer is exact and the work grows with the box's perimeter, not with its trips.
 */
@Injectable()
export class WeeklyAverageRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** First and last week with any trip, over all regions (undefined when there is no data). */
  async dataWeeks(): Promise<{ firstWeek: string; lastWeek: string } | undefined> {
    const { rows } = await this.pool.query<{ first: string | null; last: string | null }>(
      `SELECT to_char(min(week_start), 'YYYY-MM-DD') AS first, to_char(max(week_start), 'YYYY-MM-DD') AS last
         FROM gold.weekly_region_counts`,
    );
    const { first, last } = rows[0];
    return first && last ? { firstWeek: first, lastWeek: last } : undefined;
  }

  /** The id of a region by its case-insensitive name, undefined when unknown. */
  async regionId(name: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ region_id: number }>('SELECT region_id FROM silver.regions WHERE name_key = lower(trim($1))', [name]);
    return rows[0]?.region_id;
  }

  /** The id of a datasource by its exact name, undefined when unknown. */
  async datasourceId(name: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ datasource_id: number }>('SELECT datasource_id FROM silver.datasources WHERE name = trim($1)', [name]);
    return rows[0]?.datasource_id;
  }

  async regionWeekly(regionId: number, scope: CountScope): Promise<WeeklyCounts> {
    const p = new Params();
    const sql = `
      SELECT to_char(week_start, 'YYYY-MM-DD') AS week, sum(trips)::bigint AS trips
        FROM gold.weekly_region_counts
       WHERE region_id = ${p.add(regionId, 'smallint')}
         AND week_start BETWEEN ${p.add(scope.firstWeek, 'date')} AND ${p.add(scope.lastWeek, 'date')}
         ${scope.datasourceId === undefined ? '' : `AND datasource_id = ${p.add(scope.datasourceId, 'smallint')}`}
       GROUP BY week_start`;
    return this.weekly(sql, p.values);
  }

  async bboxWeekly(box: Bbox, cells: BoxCells, match: MatchMode, scope: CountScope): Promise<WeeklyCounts> {
    const q = new BboxQuery(box, cells, scope);
    const parts: string[] = [];
    if (match === 'origin' || match === 'any') parts.push(...q.oneEnd('origin', 1));
    if (match === 'destination' || match === 'any') parts.push(...q.oneEnd('destination', 1));
    // any = origin + destination − both: a trip with both ends inside was counted twice above.
    if (match === 'both' || match === 'any') parts.push(...q.bothEnds(match === 'any' ? -1 : 1));
    if (parts.length === 0) return new Map();
    const sql = `
      SELECT to_char(week, 'YYYY-MM-DD') AS week, sum(n)::bigint AS trips
        FROM (${parts.join('\n UNION ALL \n')}) AS counted (week, n)
       GROUP BY 1`;
    return this.weekly(sql, q.params.values);
  }

  private async weekly(sql: string, values: unknown[]): Promise<WeeklyCounts> {
    const { rows } = await this.pool.query<{ week: string; trips: string }>(sql, values);
    const counts: WeeklyCounts = new Map();
    for (const r of rows) if (Number(r.trips) !== 0) counts.set(r.week, Number(r.trips));
    return counts;
  }
}

/** Builds the UNION ALL parts of one bounding-box count; shares parameters between parts. */
class BboxQuery {
  readonly params = new Params();
  private readonly p = this.params;
  private readonly innerLo: string;
  private readonly innerHi: string;
  private readonly edgeLo: string;
  private readonly edgeHi: string;
  private readonly hasInner: boolean;
  private readonly hasEdge: boolean;
  private readonly minLon: string;
  private readonly minLat: string;
  private readonly maxLon: string;
  private readonly maxLat: string;
  private readonly firstWeek: string;
  private readonly lastWeek: string;
  private readonly endExclusive: string;
  private readonly datasource: string | undefined;

  constructor(
    box: Bbox,
    private readonly cells: BoxCells,
    scope: CountScope,
  ) {
    const p = this.p;
    const los = (rs: KeyRange[]) => rs.map((r) => String(r.lo));
    const his = (rs: KeyRange[]) => rs.map((r) => String(r.hi));
    this.hasInner = cells.inner.length > 0;
    this.hasEdge = cells.edge.length > 0;
    this.innerLo = p.add(los(cells.inner), 'bigint[]');
    this.innerHi = p.add(his(cells.inner), 'bigint[]');
    this.edgeLo = p.add(los(cells.edge), 'bigint[]');
    this.edgeHi = p.add(his(cells.edge), 'bigint[]');
    this.minLon = p.add(box.minLon, 'float8');
    this.minLat = p.add(box.minLat, 'float8');
    this.maxLon = p.add(box.maxLon, 'float8');
    this.maxLat = p.add(box.maxLat, 'float8');
    this.firstWeek = p.add(scope.firstWeek, 'date');
    this.lastWeek = p.add(scope.lastWeek, 'date');
    this.endExclusive = p.add(scope.endExclusive, 'date');
    this.datasource = scope.datasourceId === undefined ? undefined : p.add(scope.datasourceId, 'smallint');
  }

  private goldScope(alias: string): string {
    return `${alias}.week_start BETWEEN ${this.firstWeek} AND ${this.lastWeek}` + (this.datasource ? ` AND ${alias}.datasource_id = ${this.datasource}` : '');
  }

  private silverScope(): string {
    return `t.occurred_at >= ${this.firstWeek} AND t.occurred_at < ${this.endExclusive}` + (this.datasource ? ` AND t.datasource_id = ${this.datasource}` : '');
  }

  /** The exact inclusive predicate for one end of a trip. */
  private inside(end: 'origin' | 'destination'): string {
    return `t.${end}_lon BETWEEN ${this.minLon} AND ${this.maxLon} AND t.${end}_lat BETWEEN ${this.minLat} AND ${this.maxLat}`;
  }

  /** The cell column is one of the inner cells (decoded to its rectangle of grid indices). */
  private inInner(column: string): string {
    const { innerX, innerY } = this.cells;
    const p = this.p;
    const y = `${column} / ${ROW_STRIDE} BETWEEN ${p.add(innerY.lo + CELL_OFFSET, 'bigint')} AND ${p.add(innerY.hi + CELL_OFFSET, 'bigint')}`;
    const x = `${column} % ${ROW_STRIDE} BETWEEN ${p.add(innerX.lo + CELL_OFFSET, 'bigint')} AND ${p.add(innerX.hi + CELL_OFFSET, 'bigint')}`;
    return `${y} AND ${x}`;
  }

  /** Trips with one given end inside the box. */
  oneEnd(end: 'origin' | 'destination', sign: 1 | -1): string[] {
    const parts: string[] = [];
    if (this.hasInner) {
      parts.push(`
        SELECT w.week_start, ${sign} * w.trips
          FROM unnest(${this.innerLo}, ${this.innerHi}) AS r (lo, hi)
          JOIN gold.weekly_${end}_cells w ON w.${end}_cell BETWEEN r.lo AND r.hi
         WHERE ${this.goldScope('w')}`);
    }
    if (this.hasEdge) {
      parts.push(`
        SELECT date_trunc('week', t.occurred_at)::date, ${sign}
          FROM unnest(${this.edgeLo}, ${this.edgeHi}) AS r (lo, hi)
          JOIN silver.trips t ON t.${end}_cell BETWEEN r.lo AND r.hi
         WHERE ${this.inside(end)} AND ${this.silverScope()}`);
    }
    return parts;
  }

  /**
   * Trips with both ends inside, in three disjoint sets: both ends in inner cells (gold pairs);
   * origin in an edge cell (both ends checked); origin in an inner cell and destination in an edge
   * cell (destination checked).
   */
  bothEnds(sign: 1 | -1): string[] {
    const parts: string[] = [];
    if (this.hasInner) {
      parts.push(`
        SELECT w.week_start, ${sign} * w.trips
          FROM unnest(${this.innerLo}, ${this.innerHi}) AS r (lo, hi)
          JOIN gold.weekly_od_cells w ON w.origin_cell BETWEEN r.lo AND r.hi
         WHERE ${this.inInner('w.destination_cell')} AND ${this.goldScope('w')}`);
    }
    if (this.hasEdge) {
      parts.push(`
        SELECT date_trunc('week', t.occurred_at)::date, ${sign}
          FROM unnest(${this.edgeLo}, ${this.edgeHi}) AS r (lo, hi)
          JOIN silver.trips t ON t.origin_cell BETWEEN r.lo AND r.hi
         WHERE ${this.inside('origin')} AND ${this.inside('destination')} AND ${this.silverScope()}`);
    }
    if (this.hasInner && this.hasEdge) {
      parts.push(`
        SELECT date_trunc('week', t.occurred_at)::date, ${sign}
          FROM unnest(${this.edgeLo}, ${this.edgeHi}) AS r (lo, hi)
          JOIN silver.trips t ON t.destination_cell BETWEEN r.lo AND r.hi
         WHERE ${this.inInner('t.origin_cell')} AND ${this.inside('destination')} AND ${this.silverScope()}`);
    }
    return parts;
  }
}
