/**
 * The spatial grid of silver and gold (docs/architecture.md): `cx = floor(lon / g)`,
 * `cy = floor(lat / g)`, `cell = (cy + 2^21) * 2^22 + (cx + 2^21)`. Keys stay below 2^44, so they are
 * exact in a JS number; within one grid row (one cy) the key grows with cx, so a run of cells in a
 * row is one key range.
 */
export const CELL_OFFSET = 2 ** 21;
export const ROW_STRIDE = 2 ** 22;

/**
 * How far (degrees) a stored cell may be trusted. The transformer computes `floor(lon / g)` in
 * floating point, so a point within rounding error of a cell border can land in the neighbouring
 * cell. 1e-9° (0.1 mm) is many orders of magnitude above that error and far below any real box.
 */
export const CELL_MARGIN = 1e-9;

/** A bounding box, bounds inclusive (OGC order: minLon, minLat, maxLon, maxLat). */
export interface Bbox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

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

export const cellKey = (cx: number, cy: number): number => (cy + CELL_OFFSET) * ROW_STRIDE + (cx + CELL_OFFSET);

export function decodeCell(cell: number): { cx: number; cy: number } {
  return { cx: (cell % ROW_STRIDE) - CELL_OFFSET, cy: Math.floor(cell / ROW_STRIDE) - CELL_OFFSET };
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

export function boxCells(box: Bbox, g: number): BoxCells {
  const tx = touchedRange(box.minLon, box.maxLon, g);
  const ty = touchedRange(box.minLat, box.maxLat, g);
  let innerX = innerRange(box.minLon, box.maxLon, g, tx);
  let innerY = innerRange(box.minLat, box.maxLat, g, ty);
  if (innerX.lo > innerX.hi || innerY.lo > innerY.hi) {
    innerX = { lo: 0, hi: -1 };
    innerY = { lo: 0, hi: -1 };
  }
  const inner: KeyRange[] = [];
  const edge: KeyRange[] = [];
  const run = (list: KeyRange[], cy: number, lo: number, hi: number) => {
    if (lo <= hi) list.push({ lo: cellKey(lo, cy), hi: cellKey(hi, cy) });
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
  for (let cy = c.innerY.lo; cy <= c.innerY.hi; cy++) for (let cx = c.innerX.lo; cx <= c.innerX.hi; cx++) keys.push(cellKey(cx, cy));
  return keys;
}

/** The key ranges of every cell that is NOT an inner cell: before, between and after the inner rows' runs. */
export function outsideInner(c: BoxCells): KeyRange[] {
  const ranges: KeyRange[] = [];
  let from = KEY_MIN;
  for (const run of c.inner) {
    ranges.push({ lo: from, hi: run.lo - 1 });
    from = run.hi + 1;
  }
  ranges.push({ lo: from, hi: KEY_MAX });
  return ranges;
}

/** Number of cells in a list of ranges. */
export const cellCount = (ranges: KeyRange[]): number => ranges.reduce((n, r) => n + r.hi - r.lo + 1, 0);

/** Rounds to 9 decimals (~0.1 mm): the precision of every coordinate the API prints. */
export const round9 = (v: number): number => Number(v.toFixed(9));

/** A cell's centre and bounds, in degrees, as the API prints them. */
export function cellGeometry(cell: number, g: number): { centre: { lon: number; lat: number }; bounds: [number, number, number, number] } {
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
