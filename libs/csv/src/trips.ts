/**
 * Byte-level parser of a raw trips chunk into validated, columnar silver rows. It reproduces, byte for
 * byte, what the former pipeline produced: bronze-loader's record handling (COPY … FORMAT csv for an
 * upload with exactly the schema columns, csv-parse per record otherwise or after COPY rejected the
 * chunk) followed by the former test/oracle/dictionaries.sql + test/oracle/chunk.sql (checks, reason order, derived values).
 * test/oracle/parser-parity.int-spec.ts compares both on hostile input.
 *
 * Hot path: one byte loop over the chunk (records and field boundaries), then per record a hand-written
 * matcher for each field; strings are decoded only for region/datasource names (once per distinct byte
 * sequence) and for rejects.
 */
import { isUtf8 } from 'node:buffer';
import {
  CELL_AXIS,
  CELL_OFFSET,
  MAX_NAME_CHARS,
  REQUIRED_COLUMNS,
  SUB_ROWS,
  type Grid,
  type RejectReason,
  type RequiredColumn,
} from '#contracts';

/** Valid trips of a chunk, columnar. */
export interface ParsedTrips {
  length: number;
  /** Source line where the record starts (header = line 1). */
  lineNo: Float64Array;
  /** Index into `regions`. */
  regionIndex: Uint32Array;
  /** Index into `datasources`. */
  datasourceIndex: Uint32Array;
  originLon: Float64Array;
  originLat: Float64Array;
  destinationLon: Float64Array;
  destinationLat: Float64Array;
  /** Whole seconds since 2000-01-01 00:00:00 (PostgreSQL's timestamp epoch), local wall clock. */
  occurredAt: Float64Array;
  /** Exact integers < 2^44. */
  originCell: Float64Array;
  destinationCell: Float64Array;
  originSub: Uint8Array;
  destinationSub: Uint8Array;
  todBucket: Uint16Array;
}

export type TripFields = Record<RequiredColumn, string | null>;

export interface TripReject {
  line: number;
  reason: RejectReason;
  /** The five schema fields as bronze held them, or null when the record was kept raw. */
  fields: TripFields | null;
  /** The raw record text when it was kept raw (field count, open quote, encoding, unreadable), else null. */
  raw: string | null;
}

export interface ParsedChunk {
  /** Records in the chunk (blank lines excluded) = valid + rejects. */
  records: number;
  /** Lines of the first/last record (empty chunk: lastLine = firstLine - 1). */
  firstLine: number;
  lastLine: number;
  /** Distinct btrim(' ')'d region names of valid rows, first spelling seen (case is NOT folded here). */
  regions: string[];
  /** Distinct btrim(' ')'d datasource names of valid rows. */
  datasources: string[];
  trips: ParsedTrips;
  rejects: TripReject[];
}

/** The upload's header cannot be mapped onto the schema (see {@link columnIndices}). */
export class TripColumnsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TripColumnsError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const ZERO = 0x30;
const LPAREN = 0x28;
const RPAREN = 0x29;
const UPPER_T = 0x54;
const FFFD = Buffer.from('\uFFFD');

const F_QUOTE = 1; // the record holds a double quote
const F_UNTERMINATED = 2; // ends inside an open quote
const F_CR = 4; // holds a CR outside quotes (PostgreSQL's COPY reads it as a line end)

/** Which parser the old path applied to the chunk's fields. */
/** PostgreSQL COPY FORMAT csv: a quote anywhere toggles quoting. */
const POSTGRES = 0;
/** csv-parse (default options): quotes only around a whole field, anything else is an error. */
const CSV_PARSE = 1;

// Scratch reused across calls (the parser is synchronous): record table and comma positions.
let recStart = new Int32Array(1024);
let recEnd = new Int32Array(1024);
let recLine = new Float64Array(1024);
let recFlags = new Uint8Array(1024);
let recCommaBase = new Int32Array(1024);
let recFields = new Int32Array(1024);
let commas = new Int32Array(8192);
let scratch = Buffer.allocUnsafe(4096);
let recCount = 0;

// Per-record field spans of the five schema fields, in REQUIRED_COLUMNS order, in `src`.
const fs = new Int32Array(5);
const fe = new Int32Array(5);
// Outputs of the matchers (module scope: no per-row allocation).
let numValue = 0;
let lonValue = 0;
let latValue = 0;
let yy = 0;
let mo = 0;
let dd = 0;
let hh = 0;
let mi = 0;
let ss = 0;

const R_REGION = 0;
const R_ORIGIN = 1;
const R_DESTINATION = 2;
const R_DATETIME = 3;
const R_DATASOURCE = 4;

/**
 * Parses one chunk: whole CSV records as uploaded (header removed), byte 0 on physical line
 * `firstLine`; `columns` are the upload's header names, lower-cased, in file order.
 */
export function parseTrips(chunk: Buffer, firstLine: number, columns: readonly string[], grid: Grid): ParsedChunk {
  const width = columns.length;
  const indices = columnIndices(columns);
  const verbatim = width === REQUIRED_COLUMNS.length;
  scanRecords(chunk, firstLine);
  const n = recCount;

  // Encoding is checked once per chunk; only a chunk that fails is checked record by record.
  const chunkClean = isUtf8(chunk) && chunk.indexOf(0) === -1;
  const chunkHasFffd = chunk.indexOf(FFFD) !== -1;
  const good = (r: number): boolean =>
    (recFlags[r] & F_UNTERMINATED) === 0 &&
    recFields[r] === width &&
    (chunkClean || isCleanText(chunk.subarray(recStart[r], recEnd[r])));

  // The old loader COPYed the good records of a verbatim chunk (one line per record, ending in `\n`).
  // COPY takes the line ending from the first line and then demands it everywhere: a CR outside quotes
  // fails the COPY — and then the whole chunk went through csv-parse record by record — unless EVERY
  // line ends in `\r\n` with no other such CR, i.e. every good record's content ends in its only
  // outside-quote CR. Then COPY succeeded and that CR silently left each record's last field.
  let dialect = verbatim ? POSTGRES : CSV_PARSE;
  if (verbatim) {
    let withCr = 0;
    let crLast = 0;
    let goodCount = 0;
    for (let r = 0; r < n; r++) {
      if (!good(r)) continue;
      goodCount++;
      if (recFlags[r] & F_CR) {
        withCr++;
        if (onlyCrIsLast(chunk, recStart[r], recEnd[r])) crLast++;
      }
    }
    if (withCr > 0) {
      if (crLast === goodCount) {
        for (let r = 0; r < n; r++) if (good(r)) recEnd[r]--;
      } else dialect = CSV_PARSE;
    }
  }

  const cap = n;
  const trips: ParsedTrips = {
    length: 0,
    lineNo: new Float64Array(cap),
    regionIndex: new Uint32Array(cap),
    datasourceIndex: new Uint32Array(cap),
    originLon: new Float64Array(cap),
    originLat: new Float64Array(cap),
    destinationLon: new Float64Array(cap),
    destinationLat: new Float64Array(cap),
    occurredAt: new Float64Array(cap),
    originCell: new Float64Array(cap),
    destinationCell: new Float64Array(cap),
    originSub: new Uint8Array(cap),
    destinationSub: new Uint8Array(cap),
    todBucket: new Uint16Array(cap),
  };
  const rejects: TripReject[] = [];
  const regions = new NameTable();
  const datasources = new NameTable();
  const g = grid.cellDegrees;
  // chunk.sql casts the parameter with $5::int (rounds) and divides integers.
  const bucketSeconds = Math.round(grid.bucketMinutes) * 60;
  let v = 0;

  for (let r = 0; r < n; r++) {
    const line = recLine[r];
    if (!good(r)) {
      rejects.push(rawReject(chunk, r));
      continue;
    }
    const start = recStart[r];
    const end = recEnd[r];
    const base = recCommaBase[r];
    let src = chunk;
    if (recFlags[r] & F_QUOTE) {
      if (dialect === CSV_PARSE && !csvParseReadable(chunk, start, end, base, width)) {
        rejects.push(rawReject(chunk, r));
        continue;
      }
      // Unquote the five fields into scratch, one after the other.
      if (scratch.length < end - start) scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, end - start));
      let out = 0;
      for (let k = 0; k < 5; k++) {
        const j = indices[k];
        const s = j === 0 ? start : commas[base + j - 1] + 1;
        const e = j === width - 1 ? end : commas[base + j];
        fs[k] = out;
        out = dialect === POSTGRES ? unquotePostgres(chunk, s, e, out) : unquoteCsvParse(chunk, s, e, out);
        fe[k] = out;
      }
      src = scratch;
    } else {
      for (let k = 0; k < 5; k++) {
        const j = indices[k];
        fs[k] = j === 0 ? start : commas[base + j - 1] + 1;
        fe[k] = j === width - 1 ? end : commas[base + j];
      }
    }

    const reason = check(src, chunkHasFffd);
    if (reason !== null) {
      rejects.push({ line, reason, fields: fieldsOf(src), raw: null });
      continue;
    }

    // Valid: the same float operations as chunk.sql (and #contracts grid.ts).
    trips.lineNo[v] = line;
    trips.originLon[v] = lonOrigin;
    trips.originLat[v] = latOrigin;
    trips.destinationLon[v] = lonDestination;
    trips.destinationLat[v] = latDestination;
    const qo = latOrigin / g;
    const fo = Math.floor(qo);
    const qd = latDestination / g;
    const fd = Math.floor(qd);
    trips.originCell[v] = (fo + CELL_OFFSET) * CELL_AXIS + (Math.floor(lonOrigin / g) + CELL_OFFSET);
    trips.destinationCell[v] = (fd + CELL_OFFSET) * CELL_AXIS + (Math.floor(lonDestination / g) + CELL_OFFSET);
    trips.originSub[v] = Math.min(SUB_ROWS - 1, Math.max(0, Math.floor((qo - fo) * SUB_ROWS)));
    trips.destinationSub[v] = Math.min(SUB_ROWS - 1, Math.max(0, Math.floor((qd - fd) * SUB_ROWS)));
    const daySeconds = hh * 3600 + mi * 60 + ss;
    trips.todBucket[v] = Math.floor(daySeconds / bucketSeconds);
    trips.occurredAt[v] = (daysFromCivil(yy, mo, dd) - EPOCH_2000_DAYS) * 86400 + daySeconds;
    trips.regionIndex[v] = regions.indexOf(
      src,
      btrimStart(src, fs[R_REGION], fe[R_REGION]),
      btrimEnd(src, fs[R_REGION], fe[R_REGION]),
    );
    trips.datasourceIndex[v] = datasources.indexOf(
      src,
      btrimStart(src, fs[R_DATASOURCE], fe[R_DATASOURCE]),
      btrimEnd(src, fs[R_DATASOURCE], fe[R_DATASOURCE]),
    );
    v++;
  }

  trips.length = v;
  return {
    records: n,
    firstLine: n ? recLine[0] : firstLine,
    lastLine: n ? recLine[n - 1] : firstLine - 1,
    regions: regions.names,
    datasources: datasources.names,
    trips: v === cap ? trips : shrink(trips, v),
    rejects,
  };
}

/**
 * Column index of each schema field (REQUIRED_COLUMNS order) in an upload's header (lower-cased names
 * in file order): every schema column exactly once, extra columns allowed. The one home of the header
 * rule past the gateway: bronze-loader checks a raw chunk's header with it too.
 */
export function columnIndices(columns: readonly string[]): number[] {
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) throw new TripColumnsError(`upload columns lack ${missing.join(', ')}`);
  const duplicated = REQUIRED_COLUMNS.filter((c) => columns.indexOf(c) !== columns.lastIndexOf(c));
  if (duplicated.length) throw new TripColumnsError(`upload columns repeat ${duplicated.join(', ')}`);
  return REQUIRED_COLUMNS.map((c) => columns.indexOf(c));
}

function grow(need: number): void {
  if (need <= recStart.length) return;
  const size = Math.max(need, recStart.length * 2);
  const i32 = (a: Int32Array) => {
    const b = new Int32Array(size);
    b.set(a);
    return b;
  };
  recStart = i32(recStart);
  recEnd = i32(recEnd);
  recCommaBase = i32(recCommaBase);
  recFields = i32(recFields);
  const lines = new Float64Array(size);
  lines.set(recLine);
  recLine = lines;
  const flags = new Uint8Array(size);
  flags.set(recFlags);
  recFlags = flags;
}

function pushComma(k: number, pos: number): void {
  if (k >= commas.length) {
    const b = new Int32Array(commas.length * 2);
    b.set(commas);
    commas = b;
  }
  commas[k] = pos;
}

/**
 * splitRecords (scan.ts) fused with field boundaries: the same record, line and field-count rules
 * (scan.spec / trips.spec check they agree), plus each outside-quote comma's offset and flags.
 */
function scanRecords(buf: Buffer, firstLine: number): void {
  const n = buf.length;
  let count = 0;
  let line = firstLine;
  let start = 0;
  let startLine = line;
  let inQuote = false;
  let content = false; // a byte other than CR since `start`
  let flags = 0;
  let crs = 0; // CRs outside quotes since `start`
  let nc = 0; // commas stored
  let base = 0; // first comma of the current record
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      inQuote = !inQuote;
      flags |= F_QUOTE;
      content = true;
    } else if (b === COMMA) {
      content = true;
      if (!inQuote) pushComma(nc++, i);
    } else if (b === LF) {
      line++;
      if (inQuote) continue;
      let end = i;
      if (i > start && buf[i - 1] === CR) {
        end = i - 1;
        crs--;
      }
      if (content) {
        if (count >= recStart.length) grow(count + 1);
        recStart[count] = start;
        recEnd[count] = end;
        recLine[count] = startLine;
        recFlags[count] = crs > 0 ? flags | F_CR : flags;
        recCommaBase[count] = base;
        recFields[count] = nc - base + 1;
        count++;
        base = nc;
      } else {
        nc = base; // a blank line has no commas, but keep the table tidy
      }
      start = i + 1;
      startLine = line;
      content = false;
      flags = 0;
      crs = 0;
    } else if (b === CR) {
      if (!inQuote) crs++;
    } else {
      content = true;
    }
  }
  if (start < n) {
    let end = n;
    if (buf[n - 1] === CR && !inQuote) {
      end = n - 1;
      crs--;
    }
    // `content` also saw bytes in [end, n) only when buf[n-1] is not CR, so it matches hasContent.
    if (inQuote || content) {
      if (count >= recStart.length) grow(count + 1);
      recStart[count] = start;
      recEnd[count] = end;
      recLine[count] = startLine;
      recFlags[count] = (crs > 0 ? flags | F_CR : flags) | (inQuote ? F_UNTERMINATED : 0);
      recCommaBase[count] = base;
      recFields[count] = nc - base + 1;
      count++;
    }
  }
  recCount = count;
}

/** Whether the only CR outside quotes in [start, end) is the last byte. */
function onlyCrIsLast(buf: Buffer, start: number, end: number): boolean {
  if (end <= start || buf[end - 1] !== CR) return false;
  let inQuote = false;
  for (let i = start; i < end - 1; i++) {
    const b = buf[i];
    if (b === QUOTE) inQuote = !inQuote;
    else if (b === CR && !inQuote) return false;
  }
  return true;
}

/** Valid UTF-8 without NUL bytes (PostgreSQL text can hold neither). */
function isCleanText(bytes: Buffer): boolean {
  return bytes.indexOf(0) === -1 && isUtf8(bytes);
}

/**
 * A record the old path kept whole in raw_record: its text (invalid UTF-8 and NUL shown as U+FFFD,
 * which is how chunk.sql tells an encoding reject from a field-count one).
 */
function rawReject(buf: Buffer, r: number): TripReject {
  const start = recStart[r];
  let end = recEnd[r];
  // An unterminated record swallowed the line break that ended the upload; it is not part of the record.
  if (recFlags[r] & F_UNTERMINATED && end > start && buf[end - 1] === LF) {
    end--;
    if (end > start && buf[end - 1] === CR) end--;
  }
  const raw = buf.toString('utf8', start, end).replaceAll('\0', '\uFFFD');
  return { line: recLine[r], reason: raw.includes('\uFFFD') ? 'invalid_encoding' : 'field_count', fields: null, raw };
}

/**
 * One field as PostgreSQL's CSV COPY reads it, written to scratch at `out`: a quote toggles quoting
 * anywhere in the field, `""` inside quotes is a literal quote.
 */
function unquotePostgres(buf: Buffer, s: number, e: number, out: number): number {
  let inQuote = false;
  for (let i = s; i < e; i++) {
    const b = buf[i];
    if (b !== QUOTE) scratch[out++] = b;
    else if (!inQuote) inQuote = true;
    else if (i + 1 < e && buf[i + 1] === QUOTE) {
      scratch[out++] = QUOTE;
      i++;
    } else inQuote = false;
  }
  return out;
}

/** One field as csv-parse reads it (the record passed csvParseReadable), written to scratch at `out`. */
function unquoteCsvParse(buf: Buffer, s: number, e: number, out: number): number {
  if (e > s && buf[s] === QUOTE) {
    // "…": the closing quote is the field's last byte; inner quotes come in pairs.
    for (let i = s + 1; i < e - 1; i++) {
      scratch[out++] = buf[i];
      if (buf[i] === QUOTE) i++;
    }
    return out;
  }
  buf.copy(scratch, out, s, e);
  return out + (e - s);
}

/**
 * Whether csv-parse (default quoting, relax_quotes off) reads the record without error: a field is
 * either free of quotes or wholly quoted with inner quotes doubled. Field boundaries agree with the
 * toggle rule whenever this holds.
 */
function csvParseReadable(buf: Buffer, start: number, end: number, base: number, width: number): boolean {
  for (let j = 0; j < width; j++) {
    const s = j === 0 ? start : commas[base + j - 1] + 1;
    const e = j === width - 1 ? end : commas[base + j];
    if (e > s && buf[s] === QUOTE) {
      if (e - s < 2 || buf[e - 1] !== QUOTE) return false;
      for (let i = s + 1; i < e - 1; i++) {
        if (buf[i] === QUOTE) {
          if (i + 1 >= e - 1 || buf[i + 1] !== QUOTE) return false;
          i++;
        }
      }
    } else {
      for (let i = s; i < e; i++) if (buf[i] === QUOTE) return false;
    }
  }
  return true;
}

/** The five fields as strings, for a reject. */
function fieldsOf(src: Buffer): TripFields {
  return {
    region: src.toString('utf8', fs[R_REGION], fe[R_REGION]),
    origin_coord: src.toString('utf8', fs[R_ORIGIN], fe[R_ORIGIN]),
    destination_coord: src.toString('utf8', fs[R_DESTINATION], fe[R_DESTINATION]),
    datetime: src.toString('utf8', fs[R_DATETIME], fe[R_DATETIME]),
    datasource: src.toString('utf8', fs[R_DATASOURCE], fe[R_DATASOURCE]),
  };
}

function hasFffd(src: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e - 2; i++) {
    if (src[i] === 0xef && src[i + 1] === 0xbf && src[i + 2] === 0xbd) return true;
  }
  return false;
}

/** btrim(x): spaces only, as PostgreSQL's one-argument btrim. */
function btrimStart(src: Buffer, s: number, e: number): number {
  while (s < e && src[s] === SPACE) s++;
  return s;
}
function btrimEnd(src: Buffer, s: number, e: number): number {
  while (e > s && src[e - 1] === SPACE) e--;
  return e;
}

/** Characters of a field after trimming spaces (valid UTF-8 here: one per byte that does not continue a character). */
function trimmedChars(src: Buffer, s: number, e: number): number {
  // A name cannot be longer in characters than in bytes: most fields end here.
  if (e - s <= MAX_NAME_CHARS) return e - s;
  const end = btrimEnd(src, s, e);
  let chars = 0;
  for (let i = btrimStart(src, s, end); i < end; i++) if ((src[i] & 0xc0) !== 0x80) chars++;
  return chars;
}

let lonOrigin = 0;
let latOrigin = 0;
let lonDestination = 0;
let latDestination = 0;

/** chunk.sql's checks, first failing one wins (REJECT_REASONS order). */
function check(src: Buffer, fffd: boolean): RejectReason | null {
  if (fffd) {
    for (let k = 0; k < 5; k++) if (hasFffd(src, fs[k], fe[k])) return 'invalid_encoding';
  }
  if (btrimStart(src, fs[R_REGION], fe[R_REGION]) === fe[R_REGION]) return 'missing_region';
  if (btrimStart(src, fs[R_DATASOURCE], fe[R_DATASOURCE]) === fe[R_DATASOURCE]) return 'missing_datasource';
  if (trimmedChars(src, fs[R_REGION], fe[R_REGION]) > MAX_NAME_CHARS) return 'region_too_long';
  if (trimmedChars(src, fs[R_DATASOURCE], fe[R_DATASOURCE]) > MAX_NAME_CHARS) return 'datasource_too_long';
  if (!matchPoint(src, fs[R_ORIGIN], fe[R_ORIGIN])) return 'bad_origin';
  lonOrigin = lonValue;
  latOrigin = latValue;
  if (!matchPoint(src, fs[R_DESTINATION], fe[R_DESTINATION])) return 'bad_destination';
  lonDestination = lonValue;
  latDestination = latValue;
  if (!(lonOrigin >= -180 && lonOrigin <= 180 && latOrigin >= -90 && latOrigin <= 90)) return 'origin_out_of_range';
  if (!(lonDestination >= -180 && lonDestination <= 180 && latDestination >= -90 && latDestination <= 90))
    return 'destination_out_of_range';
  if (!matchDatetime(src, fs[R_DATETIME], fe[R_DATETIME])) return 'bad_datetime';
  if (!(yy >= 1 && mo >= 1 && mo <= 12 && hh <= 23 && mi <= 59 && ss <= 59 && dd >= 1 && dd <= daysInMonth(yy, mo)))
    return 'invalid_datetime';
  return null;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return 30 + ((m + (m >> 3)) % 2);
}

const isBlank = (b: number) => b === SPACE || b === TAB;
const isDigit = (b: number) => b >= ZERO && b <= ZERO + 9;

/**
 * chunk.sql's POINT check, case-insensitive, on at most 100 bytes:
 * ^[ \t]*point[ \t]*\([ \t]*NUM[ \t]+NUM[ \t]*\)[ \t]*$ with NUM = [-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9][0-9]?)?
 * NUM cannot hold a blank and its exponent cannot be followed by a digit, so the match is deterministic.
 */
function matchPoint(src: Buffer, s: number, e: number): boolean {
  if (e - s > 100) return false;
  let i = s;
  while (i < e && isBlank(src[i])) i++;
  // (b | 0x20) folds ASCII upper to lower case; no other byte maps onto these letters.
  if (
    e - i < 5 ||
    (src[i] | 0x20) !== 0x70 ||
    (src[i + 1] | 0x20) !== 0x6f ||
    (src[i + 2] | 0x20) !== 0x69 ||
    (src[i + 3] | 0x20) !== 0x6e ||
    (src[i + 4] | 0x20) !== 0x74
  )
    return false;
  i += 5;
  while (i < e && isBlank(src[i])) i++;
  if (i >= e || src[i] !== LPAREN) return false;
  i++;
  while (i < e && isBlank(src[i])) i++;
  i = parseNumber(src, i, e);
  if (i < 0 || i >= e || !isBlank(src[i])) return false;
  lonValue = numValue;
  while (i < e && isBlank(src[i])) i++;
  i = parseNumber(src, i, e);
  if (i < 0) return false;
  latValue = numValue;
  while (i < e && isBlank(src[i])) i++;
  if (i >= e || src[i] !== RPAREN) return false;
  i++;
  while (i < e && isBlank(src[i])) i++;
  return i === e;
}

/** Exact powers of ten (every one up to 1e22 is a double). */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/**
 * Matches NUM at `i`; sets numValue and returns the index after it, or -1. Fast path (Clinger): at most
 * 15 digits and a decimal exponent within ±22 make mantissa and power exact doubles, so one IEEE
 * multiplication or division gives the correctly rounded value — the same double as Number() and
 * PostgreSQL's float8in (strtod). Anything else goes through Number() on the matched text.
 */
export function parseNumber(src: Buffer, i: number, e: number): number {
  const s = i;
  let neg = false;
  if (i < e && (src[i] === MINUS || src[i] === PLUS)) {
    neg = src[i] === MINUS;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = 0;
  while (i < e && isDigit(src[i])) {
    m = m * 10 + (src[i] - ZERO);
    digits++;
    i++;
  }
  if (i < e && src[i] === DOT) {
    i++;
    while (i < e && isDigit(src[i])) {
      m = m * 10 + (src[i] - ZERO);
      digits++;
      frac++;
      i++;
    }
  }
  if (digits === 0) return -1;
  let exp = 0;
  if (i < e && (src[i] | 0x20) === 0x65) {
    i++;
    let eneg = false;
    if (i < e && (src[i] === MINUS || src[i] === PLUS)) {
      eneg = src[i] === MINUS;
      i++;
    }
    if (i >= e || !isDigit(src[i])) return -1;
    exp = src[i++] - ZERO;
    if (i < e && isDigit(src[i])) exp = exp * 10 + (src[i++] - ZERO);
    if (eneg) exp = -exp;
  }
  const k = exp - frac;
  if (digits <= 15 && k >= -22 && k <= 22) {
    const v = k >= 0 ? m * POW10[k] : m / POW10[-k];
    numValue = neg ? -v : v;
  } else {
    numValue = Number(src.toString('latin1', s, i));
  }
  return i;
}

/** ^[ \t]*[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9][0-9]?:[0-9]{2}:[0-9]{2}[ \t]*$ (case-sensitive 'T'). */
function matchDatetime(src: Buffer, s: number, e: number): boolean {
  let i = s;
  while (i < e && isBlank(src[i])) i++;
  if (e - i < 18) return false; // shortest: YYYY-MM-DD H:MM:SS
  const d = (k: number) => src[k] - ZERO;
  if (
    !isDigit(src[i]) ||
    !isDigit(src[i + 1]) ||
    !isDigit(src[i + 2]) ||
    !isDigit(src[i + 3]) ||
    src[i + 4] !== MINUS ||
    !isDigit(src[i + 5]) ||
    !isDigit(src[i + 6]) ||
    src[i + 7] !== MINUS ||
    !isDigit(src[i + 8]) ||
    !isDigit(src[i + 9])
  )
    return false;
  const sep = src[i + 10];
  if (sep !== SPACE && sep !== UPPER_T) return false;
  yy = d(i) * 1000 + d(i + 1) * 100 + d(i + 2) * 10 + d(i + 3);
  mo = d(i + 5) * 10 + d(i + 6);
  dd = d(i + 8) * 10 + d(i + 9);
  i += 11;
  if (!isDigit(src[i])) return false;
  hh = d(i++);
  if (i < e && isDigit(src[i])) hh = hh * 10 + d(i++);
  if (e - i < 6) return false;
  if (src[i] !== COLON || !isDigit(src[i + 1]) || !isDigit(src[i + 2])) return false;
  if (src[i + 3] !== COLON || !isDigit(src[i + 4]) || !isDigit(src[i + 5])) return false;
  mi = d(i + 1) * 10 + d(i + 2);
  ss = d(i + 4) * 10 + d(i + 5);
  i += 6;
  while (i < e && isBlank(src[i])) i++;
  return i === e;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm), as PostgreSQL's date2j. */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y--;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
/** 2000-01-01 in days since 1970-01-01. */
const EPOCH_2000_DAYS = 10957;

/** Distinct names by their bytes: few distinct values, so each is decoded once per chunk. */
class NameTable {
  readonly names: string[] = [];
  private readonly slots = new Map<number, { bytes: Buffer; index: number }[]>();

  indexOf(src: Buffer, s: number, e: number): number {
    let h = 0x811c9dc5 ^ (e - s);
    for (let i = s; i < e; i++) h = Math.imul(h ^ src[i], 0x01000193);
    const chain = this.slots.get(h);
    if (chain !== undefined) {
      for (const entry of chain) if (sameBytes(entry.bytes, src, s, e)) return entry.index;
    }
    const index = this.names.length;
    this.names.push(src.toString('utf8', s, e));
    const entry = { bytes: Buffer.from(src.subarray(s, e)), index };
    if (chain) chain.push(entry);
    else this.slots.set(h, [entry]);
    return index;
  }
}

function sameBytes(a: Buffer, src: Buffer, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== src[s + i]) return false;
  return true;
}

function shrink(t: ParsedTrips, n: number): ParsedTrips {
  return {
    length: n,
    lineNo: t.lineNo.subarray(0, n),
    regionIndex: t.regionIndex.subarray(0, n),
    datasourceIndex: t.datasourceIndex.subarray(0, n),
    originLon: t.originLon.subarray(0, n),
    originLat: t.originLat.subarray(0, n),
    destinationLon: t.destinationLon.subarray(0, n),
    destinationLat: t.destinationLat.subarray(0, n),
    occurredAt: t.occurredAt.subarray(0, n),
    originCell: t.originCell.subarray(0, n),
    destinationCell: t.destinationCell.subarray(0, n),
    originSub: t.originSub.subarray(0, n),
    destinationSub: t.destinationSub.subarray(0, n),
    todBucket: t.todBucket.subarray(0, n),
  };
}

/** Test hook: the record spans parseTrips' scanner finds (to compare with splitRecords). */
export function scanTripRecords(
  buf: Buffer,
  firstLine: number,
): { start: number; end: number; line: number; fields: number; unterminated: boolean }[] {
  scanRecords(buf, firstLine);
  const out = [];
  for (let r = 0; r < recCount; r++) {
    out.push({
      start: recStart[r],
      end: recEnd[r],
      line: recLine[r],
      fields: recFields[r],
      unterminated: (recFlags[r] & F_UNTERMINATED) !== 0,
    });
  }
  return out;
}

/** Test hook: the double parseNumber gives for a whole string, or undefined when NUM does not match. */
export function parseNumberText(text: string): number | undefined {
  const buf = Buffer.from(text, 'latin1');
  return parseNumber(buf, 0, buf.length) === buf.length ? numValue : undefined;
}
