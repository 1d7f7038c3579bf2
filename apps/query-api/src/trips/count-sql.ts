import type { CountPart, CountPlan, End, OtherEnd } from '../area/count-plan.js';
import type { KeyRange } from '../area/grid.js';
import { formatDate, type Period } from './period.js';

type TripsPart = Extract<CountPart, { kind: 'trips' }>;

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

const DAY_MS = 86_400_000;

/**
 * The scope of a count over `period`: its weeks as dates, whether it holds every week with data
 * (`dataWeeks`, as gold saw it before the count), and the datasource, if any.
 */
export function countScope(period: Period, dataWeeks: Period | undefined, datasourceId?: number): CountScope {
  return {
    firstWeek: formatDate(period.firstWeek),
    lastWeek: formatDate(period.lastWeek),
    endExclusive: formatDate(period.lastWeek + 7 * DAY_MS),
    spansAllData:
      dataWeeks !== undefined && period.firstWeek <= dataWeeks.firstWeek && period.lastWeek >= dataWeeks.lastWeek,
    datasourceId,
  };
}

/**
 * The parts of a plan as the statement runs them, one subquery each: every gold part alone, and the
 * single-trip scans of one end that keep the same side of the box and test the other end alike
 * together, as one subquery over the list of their (cell, sub-row, longitude slice) rows. PostgreSQL
 * plans a subquery once per partition of silver.trips (≈ 0.9 ms each at 100M rows,
 * scripts/bench/explain.ts), and a plan holds up to ten scans per end.
 */
export function subqueries(plan: CountPlan): CountPart[][] {
  const units = new Map<string, CountPart[]>();
  for (const [i, part] of plan.parts.entries()) {
    const key = part.kind === 'trips' ? `${part.end}|${part.keep}|${part.other}` : String(i);
    const unit = units.get(key);
    if (unit) unit.push(part);
    else units.set(key, [part]);
  }
  return [...units.values()];
}

/** One statement: its SQL and bound values (every value from a request is a parameter, never SQL text). */
export interface RenderedCount {
  sql: string;
  values: unknown[];
}

/**
 * Renders a count plan (area/count-plan.ts) as one statement: each part with the fixed template of
 * its kind, all of them in one `UNION ALL`, summed per week. Parts count per day (single trips) or
 * per week (gold, whose week_start is its own week's Monday); days become weeks, and weeks text,
 * only on the grouped rows: per counted trip, date_trunc('week') or to_char would cost more than
 * the counting. A plan with no part renders as undefined (nothing to count).
 */
export function renderCount(plan: CountPlan, scope: CountScope): RenderedCount | undefined {
  if (plan.parts.length === 0) return undefined;
  const r = new Renderer(plan, scope);
  const parts = subqueries(plan).map((unit) =>
    unit[0].kind === 'trips' ? r.trips(unit as TripsPart[]) : r.part(unit[0]),
  );
  return {
    sql: `SELECT to_char(week, 'YYYY-MM-DD') AS week, trips
  FROM (SELECT date_trunc('week', day)::date AS week, sum(n)::bigint AS trips
          FROM (${parts.join('\n         UNION ALL')}) AS counted (day, n)
         GROUP BY 1) AS weekly`,
    values: r.values,
  };
}

class Renderer {
  readonly values: unknown[] = [];
  private readonly named = new Map<string, string>();

  constructor(
    private readonly plan: CountPlan,
    private readonly scope: CountScope,
  ) {}

  /** A gold part (single trips are rendered by {@link Renderer.trips}, in groups). */
  part(part: Exclude<CountPart, TripsPart>): string {
    const sign = part.sign < 0 ? '-' : '';
    switch (part.kind) {
      case 'endRanges':
        return this.perRange(
          part.ranges,
          `SELECT w.week_start, ${sign}sum(w.trips) FROM gold.weekly_${part.end}_cells w
             WHERE w.${part.end}_cell BETWEEN r.lo AND r.hi AND ${this.goldScope()}
             GROUP BY 1`,
        );
      case 'endCells':
        return `
        SELECT w.week_start, ${sign}sum(w.trips) FROM gold.weekly_${part.end}_cells w
         WHERE w.${part.end}_cell = ANY (${this.addArray(part.cells, 'bigint[]')}) AND ${this.goldScope()}
         GROUP BY 1`;
      case 'pairsToInner':
        return this.perRange(
          part.ranges,
          `SELECT w.week_start, ${sign}sum(w.trips) FROM gold.weekly_od_cells w
             WHERE w.origin_cell BETWEEN r.lo AND r.hi AND ${this.inInner('w.destination_cell')} AND ${this.goldScope()}
             GROUP BY 1`,
        );
      case 'pairsFrom': {
        // One index descent per origin cell and range, plus the pairs found.
        const origins = this.addArray(part.origins, 'bigint[]');
        return this.perRange(
          part.to,
          `SELECT w.week_start, ${sign}sum(w.trips) FROM gold.weekly_od_cells w
             WHERE w.origin_cell = ANY (${origins}) AND w.destination_cell BETWEEN r.lo AND r.hi AND ${this.goldScope()}
             GROUP BY 1`,
        );
      }
    }
  }

  /**
   * Single silver trips of scans of one end that keep the same side of the box, with the same test of
   * the other end: one index descent per cell and sub-row of each scan (a LATERAL subquery per row,
   * not flattened: OFFSET 0), each trip checked with the exact box predicate. The period comes first:
   * PostgreSQL tests filters of equal cost in the order written, and two timestamp comparisons turn
   * away a trip outside a short period sooner than the box tests.
   */
  trips(group: TripsPart[]): string {
    const { end, keep, other, sign } = group[0];
    // A scan's longitude bounds repeat on each of its rows: printed once per scan (a fraction's
    // shortest decimal form is the costly part of the literals).
    const bounds = group.map(({ scan }) => ({ lo: numberText(scan.lonLo), hi: numberText(scan.lonHi) }));
    const rows: { cell: number; sub: number; scan: number }[] = [];
    group.forEach(({ scan }, i) => {
      for (const cell of scan.cells) for (const sub of scan.subs) rows.push({ cell, sub, scan: i });
    });
    rows.sort((a, b) => a.cell - b.cell || a.sub - b.sub);
    const cells = this.addArray(
      rows.map((x) => x.cell),
      'bigint[]',
    );
    const subs = this.addArray(
      rows.map((x) => x.sub),
      'smallint[]',
    );
    const lo = this.add(`{${rows.map((x) => bounds[x.scan].lo).join(',')}}`, 'float8[]');
    const hi = this.add(`{${rows.map((x) => bounds[x.scan].hi).join(',')}}`, 'float8[]');
    const box = this.inBox(end);
    return `
        SELECT x.day, ${sign < 0 ? '-' : ''}count(*) FROM unnest(${cells}, ${subs}, ${lo}, ${hi}) AS s (cell, sub, lo, hi)
        CROSS JOIN LATERAL (SELECT t.occurred_at::date AS day FROM silver.trips t
           WHERE t.${end}_cell = s.cell AND t.${end}_sub = s.sub AND t.${end}_lon BETWEEN s.lo AND s.hi
             AND ${this.silverScope()} AND ${keep === 'inside' ? box : `NOT (${box})`} AND ${this.other(end, other)}
           OFFSET 0) AS x
         GROUP BY 1`;
  }

  private add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /**
   * A parameter holding an array of numbers, bound as one array literal (`{1,2,3}`). node-postgres
   * would serialize a JS array element by element, quoting and escaping each: for the tens of
   * thousands of cells and sub-rows of a large box that took more CPU than PostgreSQL's whole count.
   */
  private addArray(values: readonly number[], type: string): string {
    return this.add(arrayLiteral(values), type);
  }

  /** A parameter bound on first use and shared by every part that uses it. */
  private shared(name: string, value: () => unknown, type: string): string {
    let ref = this.named.get(name);
    if (!ref) this.named.set(name, (ref = this.add(value(), type)));
    return ref;
  }

  /**
   * Runs `select` (weekly counts of one range) once per key range (`r.lo`, `r.hi`). The LATERAL
   * subquery with OFFSET 0 is not flattened, so each range is an index range scan of its own: as a
   * plain join the planner, which cannot know how narrow the ranges are, prefers whole-table scans.
   */
  private perRange(ranges: KeyRange[], select: string): string {
    const lo = this.addArray(
      ranges.map((r) => r.lo),
      'bigint[]',
    );
    const hi = this.addArray(
      ranges.map((r) => r.hi),
      'bigint[]',
    );
    return `
        SELECT x.* FROM unnest(${lo}, ${hi}) AS r (lo, hi)
        CROSS JOIN LATERAL (${select} OFFSET 0) AS x`;
  }

  private datasource(alias: string): string {
    const id = this.scope.datasourceId;
    return id === undefined ? '' : ` AND ${alias}.datasource_id = ${this.shared('datasource', () => id, 'integer')}`;
  }

  private goldScope(): string {
    const first = this.shared('firstWeek', () => this.scope.firstWeek, 'date');
    const last = this.shared('lastWeek', () => this.scope.lastWeek, 'date');
    return `w.week_start BETWEEN ${first} AND ${last}${this.datasource('w')}`;
  }

  private silverScope(): string {
    const period = this.scope.spansAllData
      ? 'true'
      : `t.occurred_at >= ${this.shared('firstWeek', () => this.scope.firstWeek, 'date')} AND t.occurred_at < ${this.shared('endExclusive', () => this.scope.endExclusive, 'date')}`;
    return `${period}${this.datasource('t')}`;
  }

  /** The exact inclusive predicate for one end of a trip. */
  private inBox(end: End): string {
    const b = this.plan.box;
    const minLon = this.shared('minLon', () => b.minLon, 'float8');
    const maxLon = this.shared('maxLon', () => b.maxLon, 'float8');
    const minLat = this.shared('minLat', () => b.minLat, 'float8');
    const maxLat = this.shared('maxLat', () => b.maxLat, 'float8');
    return `t.${end}_lon BETWEEN ${minLon} AND ${maxLon} AND t.${end}_lat BETWEEN ${minLat} AND ${maxLat}`;
  }

  /** The cell column is one of the inner cells (decoded to its rectangle of grid indices). */
  private inInner(column: string): string {
    const { innerX, innerY } = this.plan.cells;
    const y0 = this.shared('innerY0', () => innerY.lo, 'bigint');
    const y1 = this.shared('innerY1', () => innerY.hi, 'bigint');
    const x0 = this.shared('innerX0', () => innerX.lo, 'bigint');
    const x1 = this.shared('innerX1', () => innerX.hi, 'bigint');
    return `silver.cell_y(${column}) BETWEEN ${y0} AND ${y1} AND silver.cell_x(${column}) BETWEEN ${x0} AND ${x1}`;
  }

  /** A cell column lies in the pair region R (cell-level: R is a union of whole cells). */
  private inRegion(column: string): string {
    const tests: string[] = [];
    if (this.plan.cells.inner.length > 0) tests.push(this.inInner(column));
    const edgeCells = this.plan.regionEdgeCells;
    if (edgeCells.length > 0)
      tests.push(`${column} = ANY (${this.shared('regionEdgeCells', () => arrayLiteral(edgeCells), 'bigint[]')})`);
    return tests.length === 0 ? 'false' : `(${tests.join(' OR ')})`;
  }

  /** The test of a scanned trip's other end. */
  private other(end: End, other: OtherEnd): string {
    const otherEnd: End = end === 'origin' ? 'destination' : 'origin';
    switch (other) {
      case 'any':
        return 'true';
      case 'inBox':
        return this.inBox(otherEnd);
      case 'outsideBox':
        return `NOT (${this.inBox(otherEnd)})`;
      case 'inRegion':
        return this.inRegion(`t.${otherEnd}_cell`);
      case 'outsideRegion':
        return `NOT ${this.inRegion(`t.${otherEnd}_cell`)}`;
    }
  }
}

/**
 * PostgreSQL's text form of an array of numbers: `{1,2.5,-Infinity}` ({@link numberText} each).
 */
export function arrayLiteral(values: readonly number[]): string {
  return `{${values.map(numberText).join(',')}}`;
}

/**
 * A number as PostgreSQL numeric input: its JavaScript string form, which is valid input (integers
 * below 2^53 print as plain digits, fractions may print with an exponent and the unbounded sides of
 * a clipped box as ±Infinity, both of which float8 input accepts). NaN is a bug upstream.
 */
function numberText(value: number): string {
  if (Number.isNaN(value)) throw new Error('NaN in a numeric array parameter');
  return String(value);
}
