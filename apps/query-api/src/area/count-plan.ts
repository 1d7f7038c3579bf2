import type { MatchMode } from './area.js';
import {
  edgeScans,
  gaps,
  innerCellKeys,
  keyRuns,
  type Bbox,
  type BoxCells,
  type EdgeScans,
  type KeyRange,
  type TripScan,
} from './grid.js';

/**
 * The plan of a bounding-box count (docs/architecture.md, "Area queries"): a list of parts whose
 * signed counts add up to the exact answer. Pure: `trips/count-sql.ts` renders each kind of part
 * with one fixed SQL template, and `count-plan.spec.ts` evaluates plans in memory against brute force.
 *
 * Gold parts count whole cells (per week); trip parts count single silver trips of the edge cells.
 * With R the cells counted from gold for an end (the inner cells plus the edge cells the box mostly
 * covers) and s(p) = +1 for a point a `inside` scan keeps, −1 for a point an `outside` scan keeps,
 * [p in box] = [cell of p in R] + s(p) for every point; the modes expand from that.
 */

export type End = 'origin' | 'destination';
export type Sign = 1 | -1;

/**
 * What a scanned trip's other end must satisfy: nothing, lie in the box (exactly) or not, have its
 * cell in the pair region R or not.
 */
export type OtherEnd = 'any' | 'inBox' | 'outsideBox' | 'inRegion' | 'outsideRegion';

export type CountPart =
  /** Gold weekly_<end>_cells: trips whose end lies in a cell of the key ranges. */
  | { kind: 'endRanges'; end: End; ranges: KeyRange[]; sign: Sign }
  /** Gold weekly_<end>_cells: trips whose end lies in one of the cells. */
  | { kind: 'endCells'; end: End; cells: number[]; sign: Sign }
  /** Gold weekly_od_cells: trips from a cell of the key ranges to an inner cell. */
  | { kind: 'pairsToInner'; ranges: KeyRange[]; sign: Sign }
  /** Gold weekly_od_cells: trips from one of the cells to a cell of the key ranges. */
  | { kind: 'pairsFrom'; origins: number[]; to: KeyRange[]; sign: Sign }
  /**
   * Silver: single trips whose `end` lies in the scan's cells, sub-rows and longitude slice, and in
   * the box (`inside`, sign +1) or outside it (`outside`, sign −1), whose other end satisfies `other`.
   */
  | { kind: 'trips'; end: End; scan: TripScan; keep: 'inside' | 'outside'; other: OtherEnd; sign: Sign };

export interface CountPlan {
  box: Bbox;
  cells: BoxCells;
  /** Edge cells counted from gold for the pair region R (match both/any); R's other cells are the inner ones. */
  regionEdgeCells: number[];
  parts: CountPart[];
}

/**
 * Boxes of a country or more (more inner cells than this, or inner cells × rows beyond
 * {@link HUGE_BOX_CELL_ROWS}) count pairs by scanning every pair starting in an inner cell: a
 * per-cell lookup would need too many index descents; and no edge cell is counted from gold. Chosen
 * with the 10M-row query bench (docs/benchmarks.md, "Area queries", session 3, commit 3a542a3).
 */
export const HUGE_BOX_CELLS = 20_000;
export const HUGE_BOX_CELL_ROWS = 400_000;

/**
 * Pairs staying in R are looked up directly (one index descent per cell of R and run of R's cells)
 * while that is at most this many descents; beyond, as trips starting in R minus the pairs leaving
 * it. Chosen with the 10M-row query bench (docs/benchmarks.md, "Area queries", commit 2220936).
 */
export const STAYING_MAX_DESCENTS = 2_000;

export function isHuge(cells: BoxCells): boolean {
  const { innerX, innerY } = cells;
  const rows = innerY.hi - innerY.lo + 1;
  const inner = (innerX.hi - innerX.lo + 1) * rows;
  return inner > HUGE_BOX_CELLS || inner * (rows + 1) > HUGE_BOX_CELL_ROWS;
}

/** The plan of a count of the trips of `match` mode for the box. */
export function planCount(box: Bbox, cells: BoxCells, cellDegrees: number, match: MatchMode): CountPlan {
  const hasInner = cells.inner.length > 0;
  const hasEdge = cells.edge.length > 0;
  const innerEnd = (end: End, sign: Sign = 1): CountPart[] =>
    hasInner ? [{ kind: 'endRanges', end, ranges: cells.inner, sign }] : [];
  const cellsEnd = (end: End, list: number[]): CountPart[] =>
    list.length ? [{ kind: 'endCells', end, cells: list, sign: 1 }] : [];
  const edgeTrips = (end: End, plan: EdgeScans, other: OtherEnd): CountPart[] => [
    ...plan.inside.map((scan): CountPart => ({ kind: 'trips', end, scan, keep: 'inside', other, sign: 1 })),
    ...plan.outside.map((scan): CountPart => ({ kind: 'trips', end, scan, keep: 'outside', other, sign: -1 })),
  ];
  const plan = (parts: CountPart[], regionEdgeCells: number[] = []): CountPlan => ({
    box,
    cells,
    regionEdgeCells,
    parts: parts.filter(nonEmpty),
  });

  if (match === 'origin' || match === 'destination') {
    // [end in box] = [cell in R] + s(end), R = inner cells + mostly covered edge cells.
    const scans = edgeScans(box, cells, cellDegrees, true);
    return plan([...innerEnd(match), ...cellsEnd(match, scans.complementCells), ...edgeTrips(match, scans, 'any')]);
  }

  const huge = isHuge(cells);
  const scans = edgeScans(box, cells, cellDegrees, !huge);
  const keys = huge ? [] : [...innerCellKeys(cells), ...scans.complementCells].sort((a, b) => a - b);
  const runs = keyRuns(keys);
  const regionEnd = (end: End) => [...innerEnd(end), ...cellsEnd(end, scans.complementCells)];
  const pairsFrom = (to: KeyRange[], sign: Sign): CountPart[] =>
    keys.length ? [{ kind: 'pairsFrom', origins: keys, to, sign }] : [];
  const pairsToInner = (sign: Sign): CountPart[] =>
    hasInner ? [{ kind: 'pairsToInner', ranges: cells.inner, sign }] : [];
  // How the gold pairs with both cells in R are counted: `staying` directly (few in a small box,
  // which most trips leave); `leaving` as trips starting in R minus the pairs leaving R (few in a
  // box of a city or more); `scan` for huge boxes (R = the inner cells).
  const way = huge ? 'scan' : keys.length * runs.length <= STAYING_MAX_DESCENTS ? 'staying' : 'leaving';
  const regionIsEmpty = !hasInner && scans.complementCells.length === 0;

  if (match === 'both') {
    // Σ [o in box]·[d in box]: gold pairs in R × R; trips scanned at their origin, weighted s(o),
    // whose destination is in the box; trips scanned at their destination, weighted s(d), whose
    // origin cell is in R.
    const pairs = {
      staying: () => pairsFrom(runs, 1),
      leaving: () => [...regionEnd('origin'), ...pairsFrom(gaps(runs), -1)],
      scan: () => pairsToInner(1),
    }[way]();
    const edge = hasEdge
      ? [...edgeTrips('origin', scans, 'inBox'), ...(regionIsEmpty ? [] : edgeTrips('destination', scans, 'inRegion'))]
      : [];
    return plan([...pairs, ...edge], scans.complementCells);
  }

  // any = origin + destination − both: gold trips ending in R, plus trips starting in R not ending
  // in R; trips scanned at their origin, weighted s(o), whose destination is outside the box; trips
  // scanned at their destination, weighted s(d), whose origin cell is not in R.
  const pairs = {
    leaving: () => pairsFrom(gaps(runs), 1), // gold_o(R) − (gold_o(R) − leaving)
    staying: () => [...regionEnd('origin'), ...pairsFrom(runs, -1)],
    scan: () => [...regionEnd('origin'), ...pairsToInner(-1)],
  }[way]();
  const edge = hasEdge
    ? [...edgeTrips('origin', scans, 'outsideBox'), ...edgeTrips('destination', scans, 'outsideRegion')]
    : [];
  return plan([...regionEnd('destination'), ...pairs, ...edge], scans.complementCells);
}

/** Which part of a split count a plan holds: every `of`-th element from the `no`-th. */
export interface Shard {
  no: number;
  of: number;
}

/**
 * The shard's share of a plan: each part keeps every `of`-th element of its list (ranges, cells,
 * origins); a part left with none is dropped. The shards' counts add up to the plan's.
 */
export function shardOf(plan: CountPlan, { no, of }: Shard): CountPlan {
  if (of === 1) return plan;
  const mine = <T>(list: T[]) => list.filter((_, i) => i % of === no);
  const parts = plan.parts.map((part): CountPart => {
    switch (part.kind) {
      case 'endRanges':
        return { ...part, ranges: mine(part.ranges) };
      case 'pairsToInner':
        return { ...part, ranges: mine(part.ranges) };
      case 'endCells':
        return { ...part, cells: mine(part.cells) };
      case 'pairsFrom':
        return { ...part, origins: mine(part.origins) };
      case 'trips':
        return { ...part, scan: { ...part.scan, cells: mine(part.scan.cells) } };
    }
  });
  return { ...plan, parts: parts.filter(nonEmpty) };
}

/** A part with nothing to count (an empty list) is left out of a plan. */
function nonEmpty(part: CountPart): boolean {
  switch (part.kind) {
    case 'endRanges':
    case 'pairsToInner':
      return part.ranges.length > 0;
    case 'endCells':
      return part.cells.length > 0;
    case 'pairsFrom':
      return part.origins.length > 0 && part.to.length > 0;
    case 'trips':
      return part.scan.cells.length > 0;
  }
}
