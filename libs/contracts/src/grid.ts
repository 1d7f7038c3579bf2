/**
 * Spatial cells, sub-rows and time-of-day buckets, as docs/architecture.md defines them: the one home
 * of the grid rules. The transformer's parser (libs/csv/src/trips.ts) computes the keys of silver with
 * exactly these float operations, which are also those of the former SQL path (test/oracle/chunk.sql),
 * so keys are bit-identical whichever computed them.
 */

/**
 * A bounding box in degrees, bounds inclusive (OGC order: minLon, minLat, maxLon, maxLat): a box the
 * query-api counts in, and the extent of a segment's trips the transformer records (meta.segments).
 */
export interface Bbox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/** Cell coordinates are offset by 2^21 so they are non-negative; each axis gets 22 bits. */
export const CELL_OFFSET = 2 ** 21;
export const CELL_AXIS = 2 ** 22;
/** Each cell is cut into this many rows of latitude (migration 0012). */
export const SUB_ROWS = 10;

/** Cell index along one axis: floor(degrees / cell size). */
/** The grid stored cells and time-of-day buckets are computed with (fixed per database, meta.settings). */
export interface Grid {
  /** Side of a cell in degrees. */
  cellDegrees: number;
  /** Length of a time-of-day bucket in minutes. */
  bucketMinutes: number;
}

export const cellIndex = (degrees: number, cellDegrees: number): number => Math.floor(degrees / cellDegrees);

/**
 * The key of the cell with indices (cx, cy): `(cy + 2^21) * 2^22 + (cx + 2^21)`. Keys stay below 2^44,
 * so they are exact in a JS number; within one grid row (one cy) the key grows with cx, so a run of
 * cells in a row is one key range.
 */
export const cellKeyOf = (cx: number, cy: number): number => (cy + CELL_OFFSET) * CELL_AXIS + (cx + CELL_OFFSET);

/** The key of the cell a point lies in. */
export function cellKey(lon: number, lat: number, cellDegrees: number): number {
  return cellKeyOf(cellIndex(lon, cellDegrees), cellIndex(lat, cellDegrees));
}

/** Inverse of {@link cellKey}: the cell's indices; its south-west corner is (cx, cy) × cell size. */
export function decodeCell(key: number): { cx: number; cy: number } {
  return { cx: (key % CELL_AXIS) - CELL_OFFSET, cy: Math.floor(key / CELL_AXIS) - CELL_OFFSET };
}

/**
 * The cell's row of latitude (0 = south … 9) a point lies in. Same operations as chunk.sql:
 * least(9, greatest(0, floor((lat / g - floor(lat / g)) * 10))) — the clamp absorbs float rounding at
 * the cell borders.
 */
export function subRow(lat: number, cellDegrees: number): number {
  const q = lat / cellDegrees;
  return Math.min(SUB_ROWS - 1, Math.max(0, Math.floor((q - Math.floor(q)) * SUB_ROWS)));
}

/** Time-of-day bucket of a wall-clock time: floor(seconds since midnight / bucket length). */
export function todBucket(hours: number, minutes: number, seconds: number, bucketMinutes: number): number {
  return Math.floor((hours * 3600 + minutes * 60 + seconds) / (bucketMinutes * 60));
}

/**
 * Refuses a cell size whose indices would not fit the 22 bits of an axis: longitude ±180 must map
 * inside ±2^21 cells, or two distant cells would share a key.
 */
export function assertGridFits(cellDegrees: number): void {
  const needed = Math.ceil(180 / cellDegrees) + 1;
  if (!(cellDegrees > 0) || needed >= CELL_OFFSET) {
    throw new Error(
      `GRID_CELL_DEGREES=${cellDegrees} is too small: cell keys hold at most ${CELL_OFFSET - 1} cells per half axis (minimum ≈ ${(180 / (CELL_OFFSET - 2)).toExponential(3)}°)`,
    );
  }
}
