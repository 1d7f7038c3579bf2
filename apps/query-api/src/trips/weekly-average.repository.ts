import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { inLockedSnapshot, PG_POOL, splitInSnapshot } from '#db';
import type { MatchMode } from '../area/area.js';
import { planCount, shardOf, type CountPlan } from '../area/count-plan.js';
import { boxCells, cellCount, occupiedEdge, rangeKeys, type Bbox, type BoxCells } from '../area/grid.js';
import { arrayLiteral, renderCount, type CountScope } from './count-sql.js';

/** Weekly trip counts keyed by week (Monday, `YYYY-MM-DD`); weeks without trips are absent. */
export type WeeklyCounts = Map<string, number>;

/**
 * SQL of the weekly-average questions. Region: gold.weekly_region_counts. Bounding box: gold cell
 * counts for the cells wholly inside the box plus single silver trips in the cells its edge cuts, so
 * the answer is exact. Costs: one index range per grid row; in the cells the edge cuts, the trips of
 * the sub-rows and longitude slice the box overlaps, or of the part outside it for a cell the box
 * mostly covers (index only); for match=both/any also the (origin cell, destination cell, week)
 * pairs staying in or leaving the cells counted from gold — the part that grows with the box's trips.
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
    const { rows } = await this.pool.query<{ region_id: number }>(
      'SELECT region_id FROM silver.regions WHERE name_key = lower(trim($1))',
      [name],
    );
    return rows[0]?.region_id;
  }

  /** The id of a datasource by its exact name, undefined when unknown. */
  async datasourceId(name: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ datasource_id: number }>(
      'SELECT datasource_id FROM silver.datasources WHERE name = trim($1)',
      [name],
    );
    return rows[0]?.datasource_id;
  }

  async regionWeekly(regionId: number, scope: CountScope): Promise<WeeklyCounts> {
    const { rows } = await this.pool.query<{ week: string; trips: string }>(
      `SELECT to_char(week_start, 'YYYY-MM-DD') AS week, sum(trips)::bigint AS trips
         FROM gold.weekly_region_counts
        WHERE region_id = $1::integer AND week_start BETWEEN $2::date AND $3::date
          AND ($4::integer IS NULL OR datasource_id = $4::integer)
        GROUP BY week_start`,
      [regionId, scope.firstWeek, scope.lastWeek, scope.datasourceId ?? null],
    );
    return toCounts(rows);
  }

  /**
   * Bounding-box counts run in one repeatable-read snapshot. Gold and silver are counted as of the
   * same rows: a segment's silver rows and its gold commit in one transaction (the transformer's
   * segment build), so a snapshot sees both or neither. The data's extent is read in that snapshot
   * too (every segment's, attached or not: a superset of what it counts), and the box's sides beyond
   * it are dropped ({@link boxCells}). A box with many edge cells is counted on two connections at
   * once sharing the snapshot ({@link splitInSnapshot}), each taking every other cell, row and scan
   * of the plan ({@link shardOf}).
   */
  async bboxWeekly(box: Bbox, cellDegrees: number, match: MatchMode, scope: CountScope): Promise<WeeklyCounts> {
    const results = await inLockedSnapshot(this.pool, SEGMENTED_TABLES, async (client) => {
      const cells = await withOccupiedEdge(client, boxCells(box, cellDegrees, await dataExtent(client)));
      const plan = planCount(box, cells, cellDegrees, match);
      return splitInSnapshot(
        this.pool,
        client,
        SEGMENTED_TABLES,
        {
          whole: (c) => runCount(c, plan, scope),
          half: (c, no) => runCount(c, shardOf(plan, { no, of: 2 }), scope),
        },
        cellCount(cells.edge) >= SPLIT_MIN_EDGE_CELLS,
      );
    });
    return toCounts(results.flat());
  }
}

/**
 * The smallest box holding both ends of every stored trip, from meta.segments (migration 0021), as
 * the snapshot of `db` sees it; undefined while it is unknown: a segment built before that migration,
 * or rows in the legacy partition (from before segments). The empty box (+∞ … −∞) when no trip is stored.
 */
export async function dataExtent(db: pg.ClientBase): Promise<Bbox | undefined> {
  const { rows } = await db.query<{
    known: boolean;
    min_lon: number;
    min_lat: number;
    max_lon: number;
    max_lat: number;
  }>(
    `SELECT count(*) = count(min_lon) AND NOT EXISTS (SELECT 1 FROM silver.trips_legacy) AS known,
            coalesce(min(min_lon), 'Infinity') AS min_lon, coalesce(min(min_lat), 'Infinity') AS min_lat,
            coalesce(max(max_lon), '-Infinity') AS max_lon, coalesce(max(max_lat), '-Infinity') AS max_lat
       FROM meta.segments`,
  );
  const r = rows[0];
  return r.known ? { minLon: r.min_lon, minLat: r.min_lat, maxLon: r.max_lon, maxLat: r.max_lat } : undefined;
}

/**
 * Boxes with at least this many edge cells first look up which of them hold a trip end, and plan
 * with those only ({@link occupiedEdge}): one index probe per cell and gold table, against one
 * descent per cell and sub-row in silver. A large box over sparse data drops most of its edge (box
 * -10,35,10,60 on 2,000 rows: 5,004 edge cells, 17 occupied, found in 17 ms); a box over a busy
 * area keeps them all and pays for the look-up: at 100 edge cells, the 1M-row query bench's boxes
 * of 0.3–0.6° (city-sized, dense) took 25% longer in sum, so only boxes of several degrees use it.
 */
const OCCUPIED_MIN_EDGE_CELLS = 1_000;

/**
 * The box's cells, with a large edge restricted to the cells where some trip counted in the
 * snapshot of `db` starts or ends (a row in gold's origin or destination cell counts: they commit
 * and attach with the segment's silver rows). One LIMIT 1 probe per cell in each table, never a scan.
 */
export async function withOccupiedEdge(db: pg.ClientBase, cells: BoxCells): Promise<BoxCells> {
  if (cellCount(cells.edge) < OCCUPIED_MIN_EDGE_CELLS) return cells;
  const { rows } = await db.query<{ cell: string }>(
    `SELECT c AS cell FROM unnest($1::bigint[]) AS c
      CROSS JOIN LATERAL (SELECT 1 FROM gold.weekly_origin_cells w WHERE w.origin_cell = c LIMIT 1) AS o
     UNION
     SELECT c FROM unnest($1::bigint[]) AS c
      CROSS JOIN LATERAL (SELECT 1 FROM gold.weekly_destination_cells w WHERE w.destination_cell = c LIMIT 1) AS d`,
    [arrayLiteral(rangeKeys(cells.edge))],
  );
  return occupiedEdge(cells, new Set(rows.map((r) => Number(r.cell))));
}

/** Sums rows per week (a split count returns a week from each connection); weeks summing to 0 are absent. */
function toCounts(rows: { week: string; trips: string }[]): WeeklyCounts {
  const counts: WeeklyCounts = new Map();
  for (const r of rows) counts.set(r.week, (counts.get(r.week) ?? 0) + Number(r.trips));
  for (const [week, trips] of counts) if (trips === 0) counts.delete(week);
  return counts;
}

/** The partitioned parents a box count reads: locked before its snapshot is taken. */
const SEGMENTED_TABLES = [
  'silver.trips',
  'gold.weekly_origin_cells',
  'gold.weekly_destination_cells',
  'gold.weekly_od_cells',
] as const;

/**
 * Boxes with fewer edge cells are counted on one connection: splitting would cost more than it
 * saves. With at least this many, two connections count ≈ 1.3–1.7× faster on this machine
 * (docs/benchmarks.md, "Area queries", session 3, commit 2220936).
 */
const SPLIT_MIN_EDGE_CELLS = 6;

/** Runs a plan (this shard's part of it) as one statement: weekly sums (a week may sum to 0 or below in a shard). */
async function runCount(
  client: pg.PoolClient,
  plan: CountPlan,
  scope: CountScope,
): Promise<{ week: string; trips: string }[]> {
  const rendered = renderCount(plan, scope);
  if (!rendered) return [];
  // The planner cannot know how many rows a cell range holds and, guessing few, sorts them to
  // group by week; hashing is far cheaper for the tens of thousands a city-sized range can hold.
  // (JIT is off for every query-api session: db-session.ts.)
  await client.query(`SELECT set_config('enable_sort', 'off', true)`);
  const { rows } = await client.query<{ week: string; trips: string }>(rendered.sql, rendered.values);
  return rows;
}
