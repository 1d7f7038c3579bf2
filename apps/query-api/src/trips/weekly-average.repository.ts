import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { inLockedSnapshot, LOCK_NOT_AVAILABLE, PG_POOL } from '#db';
import {
  cellCount,
  edgeScans,
  gaps,
  innerCellKeys,
  keyRuns,
  type Bbox,
  type BoxCells,
  type EdgeScans,
  type KeyRange,
  type TripScan,
} from '../area/grid.js';
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
  /**
   * The period holds every week with data (as gold saw it before the count): single trips are then
   * not tested against it. A trip folded since into a week outside it is counted in that week, and
   * the series, which lists the period's weeks only, leaves it out.
   */
  spansAllData?: boolean;
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
    const p = new Params();
    const sql = `
      SELECT to_char(week_start, 'YYYY-MM-DD') AS week, sum(trips)::bigint AS trips
        FROM gold.weekly_region_counts
       WHERE region_id = ${p.add(regionId, 'integer')}
         AND week_start BETWEEN ${p.add(scope.firstWeek, 'date')} AND ${p.add(scope.lastWeek, 'date')}
         ${scope.datasourceId === undefined ? '' : `AND datasource_id = ${p.add(scope.datasourceId, 'integer')}`}
       GROUP BY week_start`;
    return this.weekly(sql, p.values);
  }

  /**
   * Bounding-box counts run in one repeatable-read snapshot. Gold and silver are counted as of the
   * same rows: a segment's silver rows and its gold commit in one transaction (the transformer's
   * segment build), so a snapshot sees both or neither.
   *
   * A box with many edge cells is counted on two connections at once, each taking every other cell,
   * row and scan of the plan (PostgreSQL runs one statement on one core): the second connection
   * imports the first one's snapshot (`pg_export_snapshot`), so both count the same rows. Only when
   * the pool has a connection to spare at that moment. Should other requests take it meanwhile, this
   * one waits for the next free connection; the request that fills the pool sees none to spare and
   * counts on its one connection, so requests never all wait on one another.
   */
  async bboxWeekly(
    box: Bbox,
    cells: BoxCells,
    cellDegrees: number,
    match: MatchMode,
    scope: CountScope,
  ): Promise<WeeklyCounts> {
    const worthSplitting = cellCount(cells.edge) >= SPLIT_MIN_EDGE_CELLS;
    return this.inSnapshot(async (client) => {
      const snapshot = worthSplitting && this.hasSpareConnection() ? await exportSnapshot(client) : undefined;
      const plan = (shard: Shard) => new BboxQuery(box, cells, cellDegrees, scope, shard).count(match);
      if (!snapshot) return toCounts(await runCount(client, plan({ no: 0, of: 1 })));
      const [mine, theirs] = await Promise.all([
        runCount(client, plan({ no: 0, of: 2 })),
        this.inSnapshot(async (helper) => {
          await helper.query(`SET TRANSACTION SNAPSHOT ${helper.escapeLiteral(snapshot)}`);
          return runCount(helper, plan({ no: 1, of: 2 }));
        }, 'nowait').catch((error: unknown) => {
          if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return undefined;
          throw error;
        }),
      ]);
      // The helper could not lock at once (a merge waits for this count's locks): its half here.
      return toCounts([...mine, ...(theirs ?? (await runCount(client, plan({ no: 1, of: 2 }))))]);
    });
  }

  /** Whether pool.connect() would hand out a connection without waiting. */
  private hasSpareConnection(): boolean {
    return this.pool.idleCount > 0 || this.pool.totalCount < (this.pool.options.max ?? 10);
  }

  private async weekly(sql: string, values: unknown[]): Promise<WeeklyCounts> {
    const { rows } = await this.pool.query<{ week: string; trips: string }>(sql, values);
    return toCounts(rows);
  }

  /** See {@link inLockedSnapshot}: merges and retractions cannot drop what the count reads. */
  private inSnapshot<T>(work: (client: pg.PoolClient) => Promise<T>, lock: 'wait' | 'nowait' = 'wait'): Promise<T> {
    return inLockedSnapshot(this.pool, SEGMENTED_TABLES, work, lock);
  }
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

/** Boxes with fewer edge cells are counted on one connection: splitting would cost more than it saves. */
const SPLIT_MIN_EDGE_CELLS = 6;

/** Which part of a split count a plan holds: every `of`-th element from the `no`-th. */
interface Shard {
  no: number;
  of: number;
}

async function exportSnapshot(client: pg.PoolClient): Promise<string> {
  const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  return rows[0].id;
}

/** Gold region and edge scans of a match=both/any count (BboxQuery.region). */
interface PairRegion {
  plan: EdgeScans;
  /** The edge cells in R (counted from gold, their trips outside the box subtracted). */
  edgeCells: number[];
  /** R's cells, sorted, and as runs of consecutive keys (empty for huge boxes). */
  keys: number[];
  runs: KeyRange[];
}

/** A bounding-box count's SQL and its bound values; no parts when there is nothing to count. */
interface CountPlan {
  parts: string[];
  values: unknown[];
}

/**
 * Keeps only the values the parts refer to, renumbered: a part left out (nothing of it in this
 * shard) may have bound values no other part uses, and PostgreSQL refuses a value it cannot type.
 */
function withUsedValues(parts: string[], values: unknown[]): CountPlan {
  const renumbered = new Map<number, number>();
  const used: unknown[] = [];
  const rewritten = parts.map((part) =>
    part.replace(/\$(\d+)\b/g, (_, n: string) => {
      let to = renumbered.get(Number(n));
      if (to === undefined) {
        used.push(values[Number(n) - 1]);
        renumbered.set(Number(n), (to = used.length));
      }
      return `$${to}`;
    }),
  );
  return { parts: rewritten, values: used };
}

/** Runs the parts of a plan as one statement: weekly sums (a week may sum to 0 or below in a shard). */
async function runCount(client: pg.PoolClient, plan: CountPlan): Promise<{ week: string; trips: string }[]> {
  if (plan.parts.length === 0) return [];
  // The planner cannot know how many rows a cell range holds and, guessing few, sorts them to
  // group by week; hashing is far cheaper for the tens of thousands a city-sized range can hold.
  // JIT compilation, which a large box's estimated cost can trigger, costs hundreds of milliseconds
  // and never pays off for these index scans.
  await client.query(`SELECT set_config('enable_sort', 'off', true), set_config('jit', 'off', true)`);
  // Parts count per day (single trips) or per week (gold, whose week_start is its own week's
  // Monday); days become weeks and weeks text only here, on the grouped rows: per counted trip,
  // date_trunc('week') or to_char would cost more than the counting.
  const { rows } = await client.query<{ week: string; trips: string }>(
    `SELECT to_char(week, 'YYYY-MM-DD') AS week, trips
       FROM (SELECT date_trunc('week', day)::date AS week, sum(n)::bigint AS trips
               FROM (${plan.parts.join('\n UNION ALL \n')}) AS counted (day, n)
              GROUP BY 1) AS weekly`,
    plan.values,
  );
  return rows;
}

/** Builds the UNION ALL parts of one bounding-box count; parts share parameters. */
class BboxQuery {
  readonly params = new Params();
  private readonly bound = new Map<string, string>();

  constructor(
    private readonly box: Bbox,
    private readonly cells: BoxCells,
    private readonly cellDegrees: number,
    private readonly scope: CountScope,
    private readonly shard: Shard = { no: 0, of: 1 },
  ) {}

  /** The plan of the count for a match mode: its parts (this shard's) and their values. */
  count(match: MatchMode): CountPlan {
    const parts = {
      origin: () => this.oneEnd('origin'),
      destination: () => this.oneEnd('destination'),
      both: () => this.bothEnds(),
      any: () => this.eitherEnd(),
    }[match]();
    return withUsedValues(
      parts.filter((part): part is string => part !== undefined),
      this.params.values,
    );
  }

  /** This shard's elements of a list: every `of`-th from the `no`-th. */
  private mine<T>(list: T[]): T[] {
    const { no, of } = this.shard;
    return of === 1 ? list : list.filter((_, i) => i % of === no);
  }

  /** A parameter bound once, on first use, and shared by every part that uses it. */
  private param(name: string, value: () => unknown, type: string): string {
    let ref = this.bound.get(name);
    if (!ref) this.bound.set(name, (ref = this.params.add(value(), type)));
    return ref;
  }

  /**
   * Runs `select` (weekly counts of one range) once per key range (`r.lo`, `r.hi`) of a list (this
   * shard's ranges when `split`). The LATERAL subquery with OFFSET 0 is not flattened, so each range
   * is an index range scan of its own: as a plain join the planner, which cannot know how narrow the
   * ranges are, prefers whole-table scans.
   */
  private perRange(all: KeyRange[], select: string, split: boolean): string | undefined {
    const list = split ? this.mine(all) : all;
    if (list.length === 0) return undefined;
    const lo = this.params.add(
      list.map((r) => String(r.lo)),
      'bigint[]',
    );
    const hi = this.params.add(
      list.map((r) => String(r.hi)),
      'bigint[]',
    );
    return `
        SELECT x.* FROM unnest(${lo}, ${hi}) AS r (lo, hi)
        CROSS JOIN LATERAL (${select} OFFSET 0) AS x`;
  }

  private get hasInner(): boolean {
    return this.cells.inner.length > 0;
  }

  private get hasEdge(): boolean {
    return this.cells.edge.length > 0;
  }

  private datasource(alias: string): string {
    const id = this.scope.datasourceId;
    return id === undefined ? '' : ` AND ${alias}.datasource_id = ${this.param('datasource', () => id, 'integer')}`;
  }

  private goldScope(alias: string): string {
    const first = this.param('firstWeek', () => this.scope.firstWeek, 'date');
    const last = this.param('lastWeek', () => this.scope.lastWeek, 'date');
    return `${alias}.week_start BETWEEN ${first} AND ${last}${this.datasource(alias)}`;
  }

  private silverScope(): string {
    const period = this.scope.spansAllData
      ? 'true'
      : `t.occurred_at >= ${this.param('firstWeek', () => this.scope.firstWeek, 'date')} AND t.occurred_at < ${this.param('endExclusive', () => this.scope.endExclusive, 'date')}`;
    return `${period}${this.datasource('t')}`;
  }

  /** The exact inclusive predicate for one end of a trip. */
  private inside(end: 'origin' | 'destination'): string {
    const b = this.box;
    const minLon = this.param('minLon', () => b.minLon, 'float8');
    const maxLon = this.param('maxLon', () => b.maxLon, 'float8');
    const minLat = this.param('minLat', () => b.minLat, 'float8');
    const maxLat = this.param('maxLat', () => b.maxLat, 'float8');
    return `t.${end}_lon BETWEEN ${minLon} AND ${maxLon} AND t.${end}_lat BETWEEN ${minLat} AND ${maxLat}`;
  }

  /** The cell column is one of the inner cells (decoded to its rectangle of grid indices). */
  private inInner(column: string): string {
    const { innerX, innerY } = this.cells;
    const y0 = this.param('innerY0', () => innerY.lo, 'bigint');
    const y1 = this.param('innerY1', () => innerY.hi, 'bigint');
    const x0 = this.param('innerX0', () => innerX.lo, 'bigint');
    const x1 = this.param('innerX1', () => innerX.hi, 'bigint');
    return `silver.cell_y(${column}) BETWEEN ${y0} AND ${y1} AND silver.cell_x(${column}) BETWEEN ${x0} AND ${x1}`;
  }

  /** Gold: trips whose given end lies in an inner cell. */
  private innerEnd(end: 'origin' | 'destination'): string | undefined {
    return this.perRange(
      this.cells.inner,
      `SELECT w.week_start, sum(w.trips) FROM gold.weekly_${end}_cells w
        WHERE w.${end}_cell BETWEEN r.lo AND r.hi AND ${this.goldScope('w')}
        GROUP BY 1`,
      true,
    );
  }

  /** Gold: trips with both ends in inner cells, summed over every pair starting in an inner cell. */
  private innerPairs(sign: '' | '-'): string | undefined {
    return this.perRange(
      this.cells.inner,
      `SELECT w.week_start, ${sign}sum(w.trips) FROM gold.weekly_od_cells w
        WHERE w.origin_cell BETWEEN r.lo AND r.hi AND ${this.inInner('w.destination_cell')} AND ${this.goldScope('w')}
        GROUP BY 1`,
      true,
    );
  }

  /** Gold: trips whose given end lies in one of `cells` (this shard's). */
  private cellsEnd(end: 'origin' | 'destination', cells: number[]): string | undefined {
    const mine = this.mine(cells);
    if (mine.length === 0) return undefined;
    return `
        SELECT w.week_start, sum(w.trips) FROM gold.weekly_${end}_cells w
         WHERE w.${end}_cell = ANY (${this.params.add(mine.map(String), 'bigint[]')}) AND ${this.goldScope('w')}
         GROUP BY 1`;
  }

  /**
   * Gold: trips from one of `origins` (this shard's) to a cell in one of the key ranges `to`: one
   * index descent per origin cell and range, plus the pairs found.
   */
  private pairsFrom(origins: number[], to: KeyRange[], sign: '' | '-'): string | undefined {
    const mine = this.mine(origins);
    if (mine.length === 0) return undefined;
    const cells = this.params.add(mine.map(String), 'bigint[]');
    return this.perRange(
      to,
      `SELECT w.week_start, ${sign}sum(w.trips) FROM gold.weekly_od_cells w
        WHERE w.origin_cell = ANY (${cells}) AND w.destination_cell BETWEEN r.lo AND r.hi AND ${this.goldScope('w')}
        GROUP BY 1`,
      false,
    );
  }

  /**
   * Boxes of a country or more: pairs are summed by scanning every pair starting in an inner cell
   * (a per-cell lookup would need too many index descents), and no edge cell is counted from gold.
   */
  private get huge(): boolean {
    const { innerX, innerY } = this.cells;
    const rows = innerY.hi - innerY.lo + 1;
    const cells = (innerX.hi - innerX.lo + 1) * rows;
    return cells > 20_000 || cells * (rows + 1) > 400_000;
  }

  private regionMemo?: PairRegion;

  /**
   * For match=both/any: the region R counted from gold, the inner cells plus the edge cells the box
   * mostly covers, and the edge scans (`inside` for the other edge cells, `outside` for those in R).
   */
  private get region(): PairRegion {
    if (!this.regionMemo) {
      const plan = edgeScans(this.box, this.cells, this.cellDegrees, !this.huge);
      const keys = this.huge ? [] : [...innerCellKeys(this.cells), ...plan.complementCells].sort((a, b) => a - b);
      this.regionMemo = { plan, edgeCells: plan.complementCells, keys, runs: keyRuns(keys) };
    }
    return this.regionMemo;
  }

  /** Gold: trips whose given end lies in R. */
  private regionEnd(end: 'origin' | 'destination'): (string | undefined)[] {
    return [this.hasInner ? this.innerEnd(end) : undefined, this.cellsEnd(end, this.region.edgeCells)];
  }

  /**
   * How the gold pairs with both cells in R are counted:
   * - `staying`: directly, one index descent per cell of R and run of R's cells, visiting only the
   *   pairs that stay: in a box of a few kilometres, few (most trips leave it);
   * - `leaving`: as trips starting in R minus the pairs leaving R (one descent per cell of R and gap
   *   between runs), visiting only the pairs that leave: few in a box of a city or more;
   * - `scan`: for huge boxes (R = the inner cells), every pair starting in an inner cell.
   */
  private get pairWay(): 'staying' | 'leaving' | 'scan' {
    if (this.huge) return 'scan';
    const { keys, runs } = this.region;
    return keys.length * runs.length <= 2_000 ? 'staying' : 'leaving';
  }

  /** Gold: trips from a cell of R (this shard's) to a cell outside R (sign '') or in R. */
  private regionPairs(to: 'leaving' | 'staying', sign: '' | '-'): string | undefined {
    const { keys, runs } = this.region;
    return this.pairsFrom(keys, to === 'leaving' ? gaps(runs) : runs, sign);
  }

  /** A cell column lies in R (cell-level: R is a union of whole cells). */
  private inRegion(column: string): string {
    const tests: string[] = [];
    if (this.hasInner) tests.push(this.inInner(column));
    const { edgeCells } = this.region;
    if (edgeCells.length > 0)
      tests.push(`${column} = ANY (${this.param('regionEdgeCells', () => edgeCells.map(String), 'bigint[]')})`);
    return tests.length === 0 ? 'false' : `(${tests.join(' OR ')})`;
  }

  /**
   * Single trips of the edge cells: with s(p) = +1 for a point in a scanned `inside` part of the plan
   * that lies in the box and −1 for a point in a scanned `outside` part that lies outside it,
   * [p in box] = [cell of p in R] + s(p) for every point, R being the inner cells and the plan's
   * complement cells. Each scanned trip is counted with weight s of its scanned end, where `other`
   * holds of its other end.
   */
  private edgeTrips(end: 'origin' | 'destination', plan: EdgeScans, other: string): (string | undefined)[] {
    return [
      ...plan.inside.map((scan) => this.tripScan(end, scan, `${this.inside(end)} AND ${other}`, '')),
      ...plan.outside.map((scan) => this.tripScan(end, scan, `NOT (${this.inside(end)}) AND ${other}`, '-')),
    ];
  }

  /**
   * Silver: one index scan (a descent per cell and sub-row), counted per day where `where` holds.
   * The period comes first: PostgreSQL tests filters of equal cost in the order written, and two
   * timestamp comparisons turn away a trip outside a short period sooner than the box tests.
   */
  private tripScan(end: 'origin' | 'destination', scan: TripScan, where: string, sign: '' | '-'): string | undefined {
    const mine = this.mine(scan.cells);
    if (mine.length === 0) return undefined;
    const cells = this.params.add(mine.map(String), 'bigint[]');
    const subs = this.params.add(scan.subs, 'smallint[]');
    const lonLo = this.params.add(scan.lonLo, 'float8');
    const lonHi = this.params.add(scan.lonHi, 'float8');
    return `
        SELECT t.occurred_at::date, ${sign}count(*) FROM silver.trips t
         WHERE t.${end}_cell = ANY (${cells}) AND t.${end}_sub = ANY (${subs}) AND t.${end}_lon BETWEEN ${lonLo} AND ${lonHi}
           AND ${this.silverScope()} AND ${where}
         GROUP BY 1`;
  }

  /**
   * Trips with one given end inside the box: gold for the inner cells and the edge cells the box
   * mostly covers, and the edge cells' single trips weighted as in edgeTrips. Single trips are
   * checked only in the sub-rows and longitude slice of an edge cell the box overlaps, or of the
   * part outside it (area/grid.ts, edgeScans).
   */
  private oneEnd(end: 'origin' | 'destination'): (string | undefined)[] {
    const plan = edgeScans(this.box, this.cells, this.cellDegrees, true);
    return [
      this.hasInner ? this.innerEnd(end) : undefined,
      this.cellsEnd(end, plan.complementCells),
      ...this.edgeTrips(end, plan, 'true'),
    ];
  }

  /**
   * Trips with both ends inside: Σ [o in box]·[d in box] with [p in box] = [cell of p in R] + s(p)
   * (edgeTrips) expands to: gold pairs with both cells in R; trips scanned at their origin,
   * weighted s(o), whose destination is in the box; trips scanned at their destination, weighted
   * s(d), whose origin cell is in R. Every scan reads the smaller side of its edge cell.
   */
  private bothEnds(): (string | undefined)[] {
    const parts = {
      staying: () => [this.regionPairs('staying', '')],
      leaving: () => [...this.regionEnd('origin'), this.regionPairs('leaving', '-')],
      scan: () => [this.innerPairs('')],
    }[this.pairWay]();
    if (this.hasEdge) {
      parts.push(...this.edgeTrips('origin', this.region.plan, this.inside('destination')));
      const inRegion = this.inRegion('t.origin_cell');
      if (inRegion !== 'false') parts.push(...this.edgeTrips('destination', this.region.plan, inRegion));
    }
    return parts;
  }

  /**
   * Trips with at least one end inside: origin + destination − both. With the expansion of bothEnds:
   * gold trips ending in R, plus trips starting in R not ending in R; trips scanned at their origin,
   * weighted s(o), whose destination is outside the box; trips scanned at their destination,
   * weighted s(d), whose origin cell is not in R.
   */
  private eitherEnd(): (string | undefined)[] {
    const parts = [
      ...this.regionEnd('destination'),
      ...{
        // gold_o(R) − (gold_o(R) − leaving) = the pairs leaving R
        leaving: () => [this.regionPairs('leaving', '')],
        staying: () => [...this.regionEnd('origin'), this.regionPairs('staying', '-')],
        scan: () => [...this.regionEnd('origin'), this.innerPairs('-')],
      }[this.pairWay](),
    ];
    if (this.hasEdge) {
      parts.push(
        ...this.edgeTrips('origin', this.region.plan, `NOT (${this.inside('destination')})`),
        ...this.edgeTrips('destination', this.region.plan, `NOT ${this.inRegion('t.origin_cell')}`),
      );
    }
    return parts;
  }
}
