import { cellKeyOf, decodeCell, SUB_ROWS, type Bbox } from '#contracts';

/**
 * Planning over the spatial grid of silver and gold: which cells a box covers wholly, which only in
 * part, and how the trips of the partly covered ones are scanned. The grid's own rules (cell keys,
 * sub-rows) live in #contracts (libs/contracts/src/grid.ts), shared with the transformer that writes
 * them.
 */
export { CELL_OFFSET, cellKeyOf, decodeCell, SUB_ROWS, type Bbox } from '#contracts';

/**
 * How far (degrees) a stored cell may be trusted. The transformer computes `floor(lon / g)` in
 * floating point, so a point within rounding error of a cell border can land in the neighbouring
 * cell. 1e-9° (0.1 mm) is many orders of magnitude above that error and far below any real box.
 */
export const CELL_MARGIN = 1e-9;

/** An inclusive range of cell keys (one run of cells in one grid row). */
export interface KeyRange {
  lo: number;
  hi: number;
}

/** An inclusive range of grid indices (cx or cy); empty when lo > hi. */
export interface IndexRange {
  lo: number;
  hi: number;
}

/**
 * The cells of a box, split in two:
 * - `inner`: cells wholly inside the box even with {@link CELL_MARGIN} around them, so every trip
 *   stored in them is certainly inside: their gold counts can be summed as they are;
 * - `edge`: every other cell a point of the box could be stored in (with the margin): their trips
 *   are checked one by one with the exact inclusive predicate.
 * Both as key ranges, one per grid row and run, so a box over thousands of cells is a few hundred
 * range predicates, never a list of cells.
 */
export interface BoxCells {
  /** Inner cells as a rectangle of indices (empty when either range is empty). */
  innerX: IndexRange;
  innerY: IndexRange;
  inner: KeyRange[];
  edge: KeyRange[];
}

/** The indices whose cell lies inside [min, max] on one axis with the margin. */
function innerRange(min: number, max: number, g: number, touched: IndexRange): IndexRange {
  const inside = (i: number) => i * g - CELL_MARGIN >= min && (i + 1) * g + CELL_MARGIN <= max;
  let lo = touched.lo;
  while (lo <= touched.hi && !inside(lo)) lo++;
  let hi = touched.hi;
  while (hi >= lo && !inside(hi)) hi--;
  return { lo, hi };
}

/** The indices of every cell a coordinate in [min, max] may be stored in. */
function touchedRange(min: number, max: number, g: number): IndexRange {
  return { lo: Math.floor((min - CELL_MARGIN) / g), hi: Math.floor((max + CELL_MARGIN) / g) };
}

/**
 * The box's bounds with every side that lies beyond the data's extent (every stored point, both ends
 * of every trip) made infinite: no stored point lies past such a side, so it cuts nothing and needs
 * no edge cells. null when the box and the extent are disjoint: no stored point is in the box.
 */
export function clipToExtent(box: Bbox, extent: Bbox): Bbox | null {
  if (box.maxLon < extent.minLon || box.minLon > extent.maxLon) return null;
  if (box.maxLat < extent.minLat || box.minLat > extent.maxLat) return null;
  return {
    minLon: box.minLon <= extent.minLon ? -Infinity : box.minLon,
    minLat: box.minLat <= extent.minLat ? -Infinity : box.minLat,
    maxLon: box.maxLon >= extent.maxLon ? Infinity : box.maxLon,
    maxLat: box.maxLat >= extent.maxLat ? Infinity : box.maxLat,
  };
}

const NO_CELLS: BoxCells = { innerX: { lo: 0, hi: -1 }, innerY: { lo: 0, hi: -1 }, inner: [], edge: [] };

/**
 * The box's cells. With the data's `extent` (every stored point lies in it), the sides of the box
 * beyond it are dropped ({@link clipToExtent}) and only the extent's cells are looked at: a box
 * around the whole data has no edge cells at all, where without it every cell along its far-away
 * sides would be scanned.
 */
export function boxCells(box: Bbox, g: number, extent?: Bbox): BoxCells {
  const bounds = extent ? clipToExtent(box, extent) : box;
  if (!bounds) return NO_CELLS;
  // An infinite side touches the extent's outermost cells (with the margin) and leaves them inner.
  const span = extent ?? box;
  const tx = touchedRange(Math.max(bounds.minLon, span.minLon), Math.min(bounds.maxLon, span.maxLon), g);
  const ty = touchedRange(Math.max(bounds.minLat, span.minLat), Math.min(bounds.maxLat, span.maxLat), g);
  let innerX = innerRange(bounds.minLon, bounds.maxLon, g, tx);
  let innerY = innerRange(bounds.minLat, bounds.maxLat, g, ty);
  if (innerX.lo > innerX.hi || innerY.lo > innerY.hi) {
    innerX = { lo: 0, hi: -1 };
    innerY = { lo: 0, hi: -1 };
  }
  const inner: KeyRange[] = [];
  const edge: KeyRange[] = [];
  const run = (list: KeyRange[], cy: number, lo: number, hi: number) => {
    if (lo <= hi) list.push({ lo: cellKeyOf(lo, cy), hi: cellKeyOf(hi, cy) });
  };
  for (let cy = ty.lo; cy <= ty.hi; cy++) {
    if (cy >= innerY.lo && cy <= innerY.hi) {
      run(edge, cy, tx.lo, innerX.lo - 1);
      run(inner, cy, innerX.lo, innerX.hi);
      run(edge, cy, innerX.hi + 1, tx.hi);
    } else {
      run(edge, cy, tx.lo, tx.hi);
    }
  }
  return { innerX, innerY, inner, edge };
}

/** Every key below and above any cell (keys lie in [0, 2^44)). */
const KEY_MIN = -1;
const KEY_MAX = 2 ** 45;

/** The inner cells one by one (row by row). */
export function innerCellKeys(c: BoxCells): number[] {
  const keys: number[] = [];
  for (let cy = c.innerY.lo; cy <= c.innerY.hi; cy++)
    for (let cx = c.innerX.lo; cx <= c.innerX.hi; cx++) keys.push(cellKeyOf(cx, cy));
  return keys;
}

/** The key ranges of every key not in `runs` (sorted, disjoint): before, between and after them. */
export function gaps(runs: KeyRange[]): KeyRange[] {
  const ranges: KeyRange[] = [];
  let from = KEY_MIN;
  for (const run of runs) {
    if (run.lo > from) ranges.push({ lo: from, hi: run.lo - 1 });
    from = run.hi + 1;
  }
  ranges.push({ lo: from, hi: KEY_MAX });
  return ranges;
}

/** Every key of the ranges, in order. */
export function rangeKeys(ranges: KeyRange[]): number[] {
  const keys: number[] = [];
  for (const r of ranges) for (let k = r.lo; k <= r.hi; k++) keys.push(k);
  return keys;
}

/**
 * The box's cells with the edge restricted to the cells in `occupied`, a set holding at least every
 * cell where some stored trip starts or ends: an edge cell without any counts nothing in any part of
 * a plan, yet costs an index descent per sub-row it overlaps. Each run is split within its own grid
 * row, which plans rely on.
 */
export function occupiedEdge(cells: BoxCells, occupied: ReadonlySet<number>): BoxCells {
  return { ...cells, edge: cells.edge.flatMap((run) => keyRuns(rangeKeys([run]).filter((k) => occupied.has(k)))) };
}

/** Sorted distinct keys as runs of consecutive keys. */
export function keyRuns(sorted: number[]): KeyRange[] {
  const runs: KeyRange[] = [];
  for (const key of sorted) {
    const last = runs.at(-1);
    if (last && key === last.hi + 1) last.hi = key;
    else runs.push({ lo: key, hi: key });
  }
  return runs;
}

/** Number of cells in a list of ranges. */
export const cellCount = (ranges: KeyRange[]): number => ranges.reduce((n, r) => n + r.hi - r.lo + 1, 0);

/** Rounds to 9 decimals (~0.1 mm): the precision of every coordinate the API prints. */
export const round9 = (v: number): number => Number(v.toFixed(9));

/** A cell's centre and bounds, in degrees, as the API prints them. */
export function cellGeometry(
  cell: number,
  g: number,
): { centre: { lon: number; lat: number }; bounds: [number, number, number, number] } {
  const { cx, cy } = decodeCell(cell);
  return {
    centre: { lon: centreOf(cx, g), lat: centreOf(cy, g) },
    bounds: [round9(cx * g), round9(cy * g), round9((cx + 1) * g), round9((cy + 1) * g)],
  };
}

/** The printed centre coordinate of grid index i; monotonic in i. */
export const centreOf = (i: number, g: number): number => round9((i + 0.5) * g);

/**
 * The grid indices whose printed centre lies in [min, max]: filtering on the same numbers the API
 * prints means a box drawn around a printed centre always finds it.
 */
export function centreRange(min: number, max: number, g: number): IndexRange {
  let lo = Math.floor(min / g - 0.5) - 1;
  while (centreOf(lo, g) < min) lo++;
  let hi = Math.ceil(max / g - 0.5) + 1;
  while (centreOf(hi, g) > max) hi--;
  return { lo, hi };
}

/** Longitude bounds that hold every coordinate: a scan not restricted in longitude. */
const ANY_LON = { lo: -1000, hi: 1000 };

/**
 * One index scan over single trips: every trip whose cell is one of `cells`, whose sub-row is one of
 * `subs` and whose longitude lies in [lonLo, lonHi] (one index descent per cell and sub-row).
 */
export interface TripScan {
  cells: number[];
  subs: number[];
  lonLo: number;
  lonHi: number;
}

/**
 * How the trips of the edge cells are counted for one end of a trip:
 * - `inside`: scans holding every trip of the edge cells that may lie inside the box (each is
 *   checked with the exact predicate and counted when inside);
 * - `complementCells`: edge cells the box mostly covers, counted as their gold count minus their
 *   trips outside the box, which `outside` scans hold (each checked, counted when NOT inside).
 */
export interface EdgeScans {
  inside: TripScan[];
  complementCells: number[];
  outside: TripScan[];
}

/** The sub-rows of cell row `cy` whose latitude span (with the margin) satisfies `keep`. */
function subRows(cy: number, g: number, keep: (south: number, north: number) => boolean): number[] {
  const subs: number[] = [];
  for (let s = 0; s < SUB_ROWS; s++) {
    if (keep((cy + s / SUB_ROWS) * g - CELL_MARGIN, (cy + (s + 1) / SUB_ROWS) * g + CELL_MARGIN)) subs.push(s);
  }
  return subs;
}

/**
 * Plans the single-trip scans of a box's edge cells. In each edge cell only the sub-rows the box
 * overlaps are scanned, and only its longitude slice when the box does not span the cell's width;
 * with `complement`, a cell more than half covered by the box is instead counted from gold minus the
 * trips in the part of it outside the box. Scans with the same sub-rows and longitude bounds are
 * merged into one (one index scan descending once per cell and sub-row).
 */
export function edgeScans(box: Bbox, cells: BoxCells, g: number, complement: boolean): EdgeScans {
  const inside = new Map<string, TripScan>();
  const outside = new Map<string, TripScan>();
  const complementCells: number[] = [];
  const add = (into: Map<string, TripScan>, cell: number, subs: number[], lon: { lo: number; hi: number }) => {
    if (subs.length === 0) return;
    const key = `${subs.join(',')}|${lon.lo}|${lon.hi}`;
    const scan = into.get(key);
    if (scan) scan.cells.push(cell);
    else into.set(key, { cells: [cell], subs, lonLo: lon.lo, lonHi: lon.hi });
  };
  for (const run of cells.edge) {
    const { cx: cx0, cy } = decodeCell(run.lo);
    const south = cy * g;
    const north = (cy + 1) * g;
    for (let cell = run.lo; cell <= run.hi; cell++) {
      const cx = cx0 + (cell - run.lo);
      const west = cx * g;
      const east = (cx + 1) * g;
      // Does the box leave part of the cell's width out (with the margin)?
      const cutWest = west - CELL_MARGIN < box.minLon;
      const cutEast = east + CELL_MARGIN > box.maxLon;
      const boxLon = cutWest || cutEast ? { lo: box.minLon, hi: box.maxLon } : ANY_LON;
      const covered =
        (Math.max(0, Math.min(east, box.maxLon) - Math.max(west, box.minLon)) *
          Math.max(0, Math.min(north, box.maxLat) - Math.max(south, box.minLat))) /
        (g * g);
      if (complement && covered > 0.5) {
        complementCells.push(cell);
        // Sub-rows wholly inside the box's latitudes: only their trips west or east of the box are outside.
        const within = subRows(cy, g, (s, n) => s >= box.minLat && n <= box.maxLat);
        const rest = Array.from({ length: SUB_ROWS }, (_, s) => s).filter((s) => !within.includes(s));
        add(outside, cell, rest, ANY_LON);
        if (cutWest) add(outside, cell, within, { lo: ANY_LON.lo, hi: box.minLon });
        if (cutEast) add(outside, cell, within, { lo: box.maxLon, hi: ANY_LON.hi });
      } else {
        add(
          inside,
          cell,
          subRows(cy, g, (s, n) => n >= box.minLat && s <= box.maxLat),
          boxLon,
        );
      }
    }
  }
  return { inside: [...inside.values()], complementCells, outside: [...outside.values()] };
}
