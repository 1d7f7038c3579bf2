/**
 * A segment's gold, aggregated in the transformer while the segment's rows stream into silver, then
 * COPYed (binary, FREEZE) into the segment's gold partitions. PostgreSQL's GROUP BY cost 1–2 µs per
 * row and table on this machine (four tables: two thirds of a segment build); these typed-array hash
 * tables cost a fraction of that, in the transformer's process, while PostgreSQL is busy with COPY.
 *
 * Keys are integers below 2^53 (cells are < 2^44), so they are exact in float64 arrays. Two small
 * components share one float64 (`pack`, `packWeek`): the tables of two 1M-row segments built at once
 * are most of the transformer's memory. Region and datasource ids are below 2^31 (integer keys).
 */
import { int16, int32, viewOf, writeInt2, writeInt4, writeInt8, writeMicros, type ParsedTrips } from '#csv';

const EMPTY = -1;
/** pg_type oid of int4, the element type of trip_group_parts.datasource_ids. */
const INT4_OID = 23;
const TWO_32 = 2 ** 32;
/**
 * Packs a (possibly negative) integer and one in [0, 65536) into one exact float64: a region id
 * (< 2^31) and a time-of-day bucket give less than 2^47.
 */
const PACK = 65_536;
const pack = (high: number, low: number): number => high * PACK + low;
const packedLow = (v: number): number => ((v % PACK) + PACK) % PACK;
const packedHigh = (v: number): number => (v - packedLow(v)) / PACK;
/** Days from 2000-01-01 (PostgreSQL's date epoch, a Saturday) to the first Monday, 2000-01-03. */
const FIRST_MONDAY = 2;
const DAY = 86_400;
/**
 * A week (a Monday, as days since 2000-01-01) and an id below 2^31 in one exact float64 (< 2^51): the
 * week's number counted from 2000-01-03 — within ±2^19 for the years 1 to 9999 that the parser
 * accepts — offset into [0, 2^20), the id above it.
 */
const WEEKS = 2 ** 20;
const WEEK_OFFSET = 2 ** 19;
export const packWeek = (id: number, week: number): number => id * WEEKS + (week - FIRST_MONDAY) / 7 + WEEK_OFFSET;
export const packedWeek = (v: number): number => ((v % WEEKS) - WEEK_OFFSET) * 7 + FIRST_MONDAY;
export const packedWeekId = (v: number): number => Math.floor(v / WEEKS);

/** Monday of the ISO week of a time given as seconds since 2000-01-01, as days since 2000-01-01. */
export function weekStartDay(seconds: number): number {
  const day = Math.floor(seconds / DAY);
  return day - ((((day - FIRST_MONDAY) % 7) + 7) % 7);
}

/**
 * An open-addressing hash table from keys of `width` integer components to a dense entry index;
 * entries are numbered in insertion order, their key components stored in one float64 array.
 */
export class KeyIndex {
  keys: Float64Array<ArrayBuffer>;
  size = 0;
  private slots: Int32Array;
  private mask: number;

  constructor(
    readonly width: number,
    capacity = 1024,
  ) {
    const slots = nextPowerOfTwo(capacity * 2);
    this.slots = new Int32Array(slots).fill(EMPTY);
    this.mask = slots - 1;
    this.keys = new Float64Array(capacity * width);
  }

  /** The entry of the key held in `k` (its first `width` values), added if new; `added` tells which. */
  find(k: Float64Array): number {
    const w = this.width;
    let h = 0x811c9dc5;
    for (let c = 0; c < w; c++) {
      const v = k[c];
      h = Math.imul(h ^ (v >>> 0), 0x01000193);
      h = Math.imul(h ^ Math.floor(v / TWO_32), 0x01000193);
    }
    h ^= h >>> 15;
    let slot = h & this.mask;
    const keys = this.keys;
    for (;;) {
      const e = this.slots[slot];
      if (e === EMPTY) break;
      let same = true;
      for (let c = 0; c < w; c++) {
        if (keys[e * w + c] !== k[c]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.added = false;
        return e;
      }
      slot = (slot + 1) & this.mask;
    }
    const e = this.size++;
    if (e * w + w > keys.length) this.growKeys();
    for (let c = 0; c < w; c++) this.keys[e * w + c] = k[c];
    this.slots[slot] = e;
    this.added = true;
    if (this.size * 2 > this.slots.length) this.rehash();
    return e;
  }

  /** Whether the last {@link find} added its key. */
  added = false;

  private growKeys(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    const k = new Float64Array(this.width);
    const old = this.size;
    this.slots = slots;
    this.mask = mask;
    this.size = 0;
    // Re-insert in entry order: find() appends, so every entry keeps its index.
    const keys = this.keys;
    for (let e = 0; e < old; e++) {
      for (let c = 0; c < this.width; c++) k[c] = keys[e * this.width + c];
      this.find(k);
    }
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A typed array that doubles when an index past its end is needed. */
function ensure<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer>>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (length: number) => T)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/** One gold table's COPY: its columns in the order the rows are encoded. */
export interface GoldCopy {
  table: 'weekly_origin_cells' | 'weekly_destination_cells' | 'weekly_od_cells' | 'trip_group_parts';
  columns: readonly string[];
  /** The encoded tuples, in pieces of at most `rowsPerPiece` rows (no header, no trailer). */
  pieces(segmentNo: number, rowsPerPiece?: number): Generator<Buffer>;
}

/** Weekly trip counts per (…cells, week, datasource): weekly_origin/destination/od_cells. */
class WeeklyCells implements GoldCopy {
  /** Keys: the cells, then datasource and week packed. */
  private readonly index: KeyIndex;
  private counts: Int32Array<ArrayBuffer>;
  private readonly key: Float64Array;

  constructor(
    readonly table: GoldCopy['table'],
    readonly columns: readonly string[],
    /** Cell components of the key (1: one end, 2: origin and destination). */
    private readonly cells: 1 | 2,
    capacity: number,
  ) {
    this.index = new KeyIndex(cells + 1, capacity);
    this.counts = new Int32Array(capacity);
    this.key = new Float64Array(cells + 1);
  }

  /** `datasourceWeek`: `packWeek(datasource, week)`, computed once for the three tables. */
  add(c0: number, c1: number, datasourceWeek: number): void {
    const k = this.key;
    k[0] = c0;
    if (this.cells === 2) k[1] = c1;
    k[this.cells] = datasourceWeek;
    const e = this.index.find(k);
    this.counts = ensure(this.counts, e + 1);
    this.counts[e] = this.index.added ? 1 : this.counts[e] + 1;
  }

  get size(): number {
    return this.index.size;
  }

  *pieces(segmentNo: number, rowsPerPiece = 65_536): Generator<Buffer> {
    const { keys, width, size } = this.index;
    // field count; cells (len + int8 each); week (len + date); datasource (len + int4); trips (len + int4); segment (len + int4)
    const rowBytes = 2 + this.cells * 12 + 8 + 8 + 8 + 8;
    for (let from = 0; from < size; from += rowsPerPiece) {
      const to = Math.min(size, from + rowsPerPiece);
      const out = Buffer.allocUnsafe((to - from) * rowBytes);
      const dv = viewOf(out);
      let p = 0;
      for (let e = from; e < to; e++) {
        const k = e * width;
        p = int16(dv, p, this.cells + 4);
        for (let c = 0; c < this.cells; c++) p = writeInt8(dv, p, keys[k + c]);
        const datasourceWeek = keys[k + this.cells];
        p = writeInt4(dv, p, packedWeek(datasourceWeek));
        p = writeInt4(dv, p, packedWeekId(datasourceWeek));
        p = writeInt4(dv, p, this.counts[e]);
        p = writeInt4(dv, p, segmentNo);
      }
      yield out.subarray(0, p);
    }
  }
}

/**
 * Trip groups: (region, origin cell, destination cell, time-of-day bucket) → trips, first and last
 * seen, and the set of datasource ids (a 52-bit mask for ids 1–52, a Set for any larger id).
 */
class TripGroups implements GoldCopy {
  readonly table = 'trip_group_parts';
  readonly columns = [
    'region_id',
    'origin_cell',
    'destination_cell',
    'tod_bucket',
    'trip_count',
    'first_seen',
    'last_seen',
    'datasource_ids',
    'segment_no',
  ] as const;
  /** Keys: region and time-of-day bucket packed, origin cell, destination cell. */
  private readonly index: KeyIndex;
  private readonly key = new Float64Array(3);
  private counts: Int32Array<ArrayBuffer>;
  private first: Float64Array<ArrayBuffer>;
  private last: Float64Array<ArrayBuffer>;
  private masks: Float64Array<ArrayBuffer>;
  private readonly large = new Map<number, Set<number>>();

  constructor(capacity: number) {
    this.index = new KeyIndex(3, capacity);
    this.counts = new Int32Array(capacity);
    this.first = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.masks = new Float64Array(capacity);
  }

  add(region: number, origin: number, destination: number, bucket: number, at: number, datasource: number): void {
    const k = this.key;
    k[0] = pack(region, bucket);
    k[1] = origin;
    k[2] = destination;
    const e = this.index.find(k);
    if (this.index.added) {
      const n = e + 1;
      this.counts = ensure(this.counts, n);
      this.first = ensure(this.first, n);
      this.last = ensure(this.last, n);
      this.masks = ensure(this.masks, n);
      this.counts[e] = 1;
      this.first[e] = at;
      this.last[e] = at;
      this.masks[e] = 0;
    } else {
      this.counts[e]++;
      if (at < this.first[e]) this.first[e] = at;
      if (at > this.last[e]) this.last[e] = at;
    }
    if (datasource >= 1 && datasource <= 52) {
      const bit = 2 ** (datasource - 1);
      if (Math.floor(this.masks[e] / bit) % 2 === 0) this.masks[e] += bit;
    } else {
      const set = this.large.get(e) ?? new Set<number>();
      set.add(datasource);
      this.large.set(e, set);
    }
  }

  get size(): number {
    return this.index.size;
  }

  /** How many datasource ids the group has. */
  private idsCount(e: number): number {
    let n = this.large.get(e)?.size ?? 0;
    for (let mask = this.masks[e]; mask > 0; mask = Math.floor(mask / 2)) n += mask % 2;
    return n;
  }

  /** The group's datasource ids, ascending (ids of the mask are all below those of the Set). */
  idsOf(e: number): number[] {
    const ids: number[] = [];
    let id = 1;
    for (let mask = this.masks[e]; mask > 0; mask = Math.floor(mask / 2), id++) if (mask % 2 === 1) ids.push(id);
    const large = this.large.get(e);
    if (large) ids.push(...[...large].sort((a, b) => a - b));
    return ids;
  }

  *pieces(segmentNo: number, rowsPerPiece = 65_536): Generator<Buffer> {
    const size = this.index.size;
    // Field count, region, 2 cells, bucket, count, 2 timestamps, segment, and the array's length and
    // header (ndim, has-nulls, element type, length, lower bound); then 8 bytes per id.
    const fixed = 2 + 8 + 24 + 6 + 8 + 24 + 8 + 4 + 20;
    for (let from = 0; from < size; from += rowsPerPiece) {
      const to = Math.min(size, from + rowsPerPiece);
      let bytes = 0;
      for (let e = from; e < to; e++) bytes += fixed + 8 * this.idsCount(e);
      const out = Buffer.allocUnsafe(bytes);
      const dv = viewOf(out);
      let p = 0;
      for (let e = from; e < to; e++) p = this.writeRow(dv, p, e, segmentNo);
      yield out.subarray(0, p);
    }
  }

  private writeRow(dv: DataView, p: number, e: number, segmentNo: number): number {
    const k = e * 3;
    const keys = this.index.keys;
    p = int16(dv, p, this.columns.length);
    p = writeInt4(dv, p, packedHigh(keys[k]));
    p = writeInt8(dv, p, keys[k + 1]);
    p = writeInt8(dv, p, keys[k + 2]);
    p = writeInt2(dv, p, packedLow(keys[k]));
    p = writeInt4(dv, p, this.counts[e]);
    p = writeMicros(dv, p, this.first[e]);
    p = writeMicros(dv, p, this.last[e]);
    const ids = this.idsOf(e);
    // A one-dimensional integer[]: ndim, has-nulls, element type (int4 = 23), length, lower bound;
    // binary COPY checks the element type against the column's.
    p = int32(dv, p, 20 + ids.length * 8);
    p = int32(dv, p, 1);
    p = int32(dv, p, 0);
    p = int32(dv, p, INT4_OID);
    p = int32(dv, p, ids.length);
    p = int32(dv, p, 1);
    for (const id of ids) p = writeInt4(dv, p, id);
    return writeInt4(dv, p, segmentNo);
  }
}

/** Entries per trip of each gold table (between 0 and 1: a trip adds at most one entry to each). */
export interface GoldShape {
  originCells: number;
  destinationCells: number;
  odCells: number;
  tripGroups: number;
}

/**
 * A shape is used with this margin: a table that turns out larger grows (doubling), which costs time
 * and, while it copies, memory.
 */
const SHAPE_MARGIN = 1.25;

/**
 * The shape assumed before any build was seen (with the margin: one entry per trip in the pair and
 * group tables, one per two trips in each end's table): most trips are a pair-week and a group of
 * their own; fewer share an end's cell-week.
 */
export const FIRST_GOLD_SHAPE: GoldShape = {
  originCells: 0.5 / SHAPE_MARGIN,
  destinationCells: 0.5 / SHAPE_MARGIN,
  odCells: 1 / SHAPE_MARGIN,
  tripGroups: 1 / SHAPE_MARGIN,
};

/** The four gold tables partitioned by segment, aggregated over one segment's trips. */
export class GoldDeltas {
  readonly originCells: WeeklyCells;
  readonly destinationCells: WeeklyCells;
  readonly odCells: WeeklyCells;
  readonly tripGroups: TripGroups;
  /** Trips added so far. */
  private added = 0;

  /**
   * `expectedRows`: the segment's rows, and `shape` the entries per trip the tables are expected to
   * hold (the previous build's, {@link shape}): the tables are sized once (growing them cost a
   * tenth of the aggregation in a CPU profile), but not larger than the data needs — the tables of
   * two 1M-row builds at once are most of the transformer's memory (docs/benchmarks.md, session 9).
   */
  constructor(expectedRows = 1024, shape: GoldShape = FIRST_GOLD_SHAPE) {
    const n = Math.max(1024, Math.ceil(expectedRows));
    const size = (perTrip: number) => Math.max(1024, Math.ceil(n * Math.min(1, perTrip * SHAPE_MARGIN)));
    const cells = ['week_start', 'datasource_id', 'trips', 'segment_no'];
    this.originCells = new WeeklyCells('weekly_origin_cells', ['origin_cell', ...cells], 1, size(shape.originCells));
    this.destinationCells = new WeeklyCells(
      'weekly_destination_cells',
      ['destination_cell', ...cells],
      1,
      size(shape.destinationCells),
    );
    this.odCells = new WeeklyCells(
      'weekly_od_cells',
      ['origin_cell', 'destination_cell', ...cells],
      2,
      size(shape.odCells),
    );
    this.tripGroups = new TripGroups(size(shape.tripGroups));
  }

  /** Trips added so far. */
  get trips(): number {
    return this.added;
  }

  /** Entries per trip of each table: the shape of the gold of the trips added so far. */
  shape(): GoldShape {
    const per = (size: number) => Math.min(1, size / Math.max(1, this.added));
    return {
      originCells: per(this.originCells.size),
      destinationCells: per(this.destinationCells.size),
      odCells: per(this.odCells.size),
      tripGroups: per(this.tripGroups.size),
    };
  }

  /** Adds a parsed chunk's trips; `regionIds[i]` / `datasourceIds[i]` are the ids of its i-th names. */
  add(trips: ParsedTrips, regionIds: ArrayLike<number>, datasourceIds: ArrayLike<number>): void {
    const { originCell, destinationCell, occurredAt, todBucket, regionIndex, datasourceIndex } = trips;
    this.added += trips.length;
    for (let i = 0; i < trips.length; i++) {
      const ds = datasourceIds[datasourceIndex[i]];
      const dsWeek = packWeek(ds, weekStartDay(occurredAt[i]));
      const o = originCell[i];
      const d = destinationCell[i];
      this.originCells.add(o, 0, dsWeek);
      this.destinationCells.add(d, 0, dsWeek);
      this.odCells.add(o, d, dsWeek);
      this.tripGroups.add(regionIds[regionIndex[i]], o, d, todBucket[i], occurredAt[i], ds);
    }
  }

  tables(): GoldCopy[] {
    return [this.originCells, this.destinationCells, this.odCells, this.tripGroups];
  }
}
