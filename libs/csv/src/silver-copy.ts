/**
 * PostgreSQL binary COPY encoding of silver trips (COPY … FROM STDIN (FORMAT binary)): no text
 * formatting or parsing of floats and timestamps on either side, and floats arrive bit-identical.
 */
import type { ParsedTrips } from './trips.js';

/** The target columns, in the order encodeSilverRows writes them. */
export const SILVER_COPY_COLUMNS = [
  'line_no',
  'origin_cell',
  'destination_cell',
  'origin_lon',
  'origin_lat',
  'destination_lon',
  'destination_lat',
  'occurred_at',
  'segment_no',
  'ingestion_no',
  'region_id',
  'datasource_id',
  'tod_bucket',
  'origin_sub',
  'destination_sub',
] as const;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Field count + (length + value) per field: 3 int8, 4 float8, timestamp, 4 int4, 3 int2. */
const ROW_BYTES = 2 + SILVER_COPY_COLUMNS.length * 4 + 3 * 8 + 4 * 8 + 8 + 4 * 4 + 3 * 2;
const TWO_32 = 2 ** 32;
const TWO_16 = 2 ** 16;

/** Signature, flags (no OIDs), header extension length 0. */
export function binaryCopyHeader(): Buffer {
  const out = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(out, 0);
  return out;
}

/** The end-of-data marker: a field count of -1. */
export function binaryCopyTrailer(): Buffer {
  const out = Buffer.alloc(2);
  out.writeInt16BE(-1, 0);
  return out;
}

/**
 * The tuples of `trips` (without header and trailer). `regionIds[i]` / `datasourceIds[i]` are the
 * dictionary ids of `regions[i]` / `datasources[i]` of the parsed chunk.
 */
export function encodeSilverRows(
  trips: ParsedTrips,
  segmentNo: number,
  ingestionNo: number,
  regionIds: ArrayLike<number>,
  datasourceIds: ArrayLike<number>,
): Buffer {
  const n = trips.length;
  const out = Buffer.allocUnsafe(n * ROW_BYTES);
  const dv = viewOf(out);
  const { lineNo, originCell, destinationCell, originLon, originLat, destinationLon, destinationLat, occurredAt } =
    trips;
  const { regionIndex, datasourceIndex, todBucket, originSub, destinationSub } = trips;
  let p = 0;
  for (let i = 0; i < n; i++) {
    p = int16(dv, p, SILVER_COPY_COLUMNS.length);
    p = writeInt8(dv, p, lineNo[i]);
    p = writeInt8(dv, p, originCell[i]);
    p = writeInt8(dv, p, destinationCell[i]);
    p = writeFloat8(dv, p, originLon[i]);
    p = writeFloat8(dv, p, originLat[i]);
    p = writeFloat8(dv, p, destinationLon[i]);
    p = writeFloat8(dv, p, destinationLat[i]);
    p = writeMicros(dv, p, occurredAt[i]);
    p = writeInt4(dv, p, segmentNo);
    p = writeInt4(dv, p, ingestionNo);
    p = writeInt4(dv, p, regionIds[regionIndex[i]]);
    p = writeInt4(dv, p, datasourceIds[datasourceIndex[i]]);
    p = writeInt2(dv, p, todBucket[i]);
    p = writeInt2(dv, p, originSub[i]);
    p = writeInt2(dv, p, destinationSub[i]);
  }
  return out;
}

/** Length-prefixed fields (a binary COPY field is its length, then its bytes): int2, int4 (or date), float8. */
export const writeInt2 = (dv: DataView, p: number, v: number): number => int16(dv, int32(dv, p, 2), v);
export const writeInt4 = (dv: DataView, p: number, v: number): number => int32(dv, int32(dv, p, 4), v);
export const writeFloat8 = (dv: DataView, p: number, v: number): number => float8(dv, int32(dv, p, 8), v);

/** A length-prefixed int8 of a safe integer (|v| < 2^53). */
export function writeInt8(dv: DataView, p: number, v: number): number {
  p = int32(dv, p, 8);
  const hi = Math.floor(v / TWO_32);
  p = int32(dv, p, hi);
  return uint32(dv, p, v - hi * TWO_32);
}

/**
 * A length-prefixed timestamp: `seconds` (an integer, |seconds| < 2^40) × 10^6 as int8, computed
 * exactly without BigInt: seconds = a·2^16 + b, so the product is (a·10^6)·2^16 + b·10^6 with every
 * partial product an exact double.
 */
export function writeMicros(dv: DataView, p: number, seconds: number): number {
  p = int32(dv, p, 8);
  const a = Math.floor(seconds / TWO_16);
  const b = seconds - a * TWO_16; // 0 ≤ b < 2^16
  const A = a * 1e6; // |A| < 2^44
  const aHi = Math.floor(A / TWO_16);
  const low = (A - aHi * TWO_16) * TWO_16 + b * 1e6; // < 2^32 + 2^36, exact
  const carry = Math.floor(low / TWO_32);
  p = int32(dv, p, aHi + carry);
  return uint32(dv, p, low - carry * TWO_32);
}

/*
 * Big-endian writes through a DataView, each returning the next offset. V8 compiles DataView
 * accesses to plain loads and stores; Buffer's writeInt32BE and kin check their arguments and write
 * byte by byte (a CPU profile of the transformer found them at ≈ 1 µs per row).
 */
export const viewOf = (buf: Buffer): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
export const int16 = (dv: DataView, p: number, v: number): number => (dv.setInt16(p, v), p + 2);
export const int32 = (dv: DataView, p: number, v: number): number => (dv.setInt32(p, v), p + 4);
export const uint32 = (dv: DataView, p: number, v: number): number => (dv.setUint32(p, v), p + 4);
export const float8 = (dv: DataView, p: number, v: number): number => (dv.setFloat64(p, v), p + 8);
