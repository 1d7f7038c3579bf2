/**
 * Quote-aware CSV record scanning on raw bytes — the only per-byte work JavaScript does on the hot
 * path (PostgreSQL parses the fields). Semantics shared by upload-gateway (cuts chunks, counts rows)
 * and bronze-loader (numbers records), so both always agree on what a record is:
 *
 * - a record ends at a `\n` outside double quotes (`\r\n` too; the `\r` belongs to the terminator);
 * - `"` toggles quoting, so an escaped `""` inside a quoted field is neutral;
 * - a blank line (nothing, or only `\r`, before the `\n`) is not a record;
 * - a record's line number is the physical line (1-based) where it starts.
 */

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

export interface CsvRecordSpan {
  /** Byte offset of the first byte of the record. */
  start: number;
  /** Byte offset just past the record's content (before `\r\n` / `\n`). */
  end: number;
  /** Physical line where the record starts. */
  line: number;
  /** Fields in the record (unquoted commas + 1). */
  fields: number;
  /** The record ends inside an open quote (only possible for the last record of the input). */
  unterminated: boolean;
}

/**
 * Splits a buffer of whole records into record spans. `firstLine` is the physical line of byte 0.
 * The last record may lack its terminator.
 */
export function splitRecords(buf: Uint8Array, firstLine: number): CsvRecordSpan[] {
  const records: CsvRecordSpan[] = [];
  let line = firstLine;
  let start = 0;
  let startLine = line;
  let fields = 1;
  let inQuote = false;
  const n = buf.length;
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === QUOTE) inQuote = !inQuote;
    else if (b === COMMA) {
      if (!inQuote) fields++;
    } else if (b === LF) {
      line++;
      if (inQuote) continue;
      const end = i > start && buf[i - 1] === CR ? i - 1 : i;
      if (hasContent(buf, start, end)) records.push({ start, end, line: startLine, fields, unterminated: false });
      start = i + 1;
      startLine = line;
      fields = 1;
    }
  }
  if (start < n) {
    const end = buf[n - 1] === CR && !inQuote ? n - 1 : n;
    if (inQuote || hasContent(buf, start, end))
      records.push({ start, end, line: startLine, fields, unterminated: inQuote });
  }
  return records;
}

/** A line holding only `\r` bytes counts as blank. */
function hasContent(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== CR) return true;
  return false;
}

export interface Chunk {
  /** Whole records, each terminated (a final `\n` is added if the input lacked one). */
  data: Buffer;
  /** Physical line of the chunk's first byte. */
  firstLine: number;
  /** Records in the chunk (blank lines excluded). */
  records: number;
}

/** A record longer than the chunker's `maxRecordBytes`, its line end included. */
export class RecordTooLargeError extends Error {
  constructor(
    /** Physical line where the record starts. */
    readonly line: number,
    readonly limit: number,
  ) {
    super(`the record starting on line ${line} is longer than ${limit} bytes`);
    this.name = 'RecordTooLargeError';
  }
}

/**
 * Cuts a byte stream (records only, header already removed) into chunks of whole records of about
 * `targetBytes` (a single record longer than that becomes its own, larger chunk). A record longer
 * than `maxRecordBytes` throws {@link RecordTooLargeError} as soon as its bytes pass the limit, so
 * memory stays within one chunk, one record and the incoming buffer whatever the input.
 */
export class RecordChunker {
  private parts: Buffer[] = [];
  private size = 0;
  /** Scan state over the pending bytes. */
  private inQuote = false;
  private lineHasContent = false;
  /** Offset (in pending bytes) just past the last record terminator, and stats up to there. */
  private cut = 0;
  private cutRecords = 0;
  private cutNewlines = 0;
  private records = 0;
  private newlines = 0;
  private nextLine: number;

  constructor(
    private readonly targetBytes: number,
    firstLine: number,
    private readonly maxRecordBytes = Number.POSITIVE_INFINITY,
  ) {
    this.nextLine = firstLine;
  }

  /** Adds bytes; returns the chunks that are now complete. */
  push(buf: Buffer): Chunk[] {
    const out: Chunk[] = [];
    let offset = 0;
    while (offset < buf.length) {
      // Past the target without a record end (one record longer than a chunk): take the rest at once.
      const room = this.size < this.targetBytes ? this.targetBytes - this.size : buf.length - offset;
      const piece = buf.subarray(offset, offset + room);
      offset += piece.length;
      this.scan(piece, this.size);
      this.parts.push(piece);
      this.size += piece.length;
      // The record still open (the bytes since the last line end) must not grow past the limit.
      if (this.size - this.cut > this.maxRecordBytes) this.tooLarge();
      if (this.size >= this.targetBytes && this.cut > 0) out.push(this.emit());
    }
    return out;
  }

  /** Flushes the rest (adds a final `\n` when the input did not end with one). */
  end(): Chunk[] {
    if (this.size === 0) return [];
    if (this.size > this.cut) {
      // An unterminated quote swallows the rest of the input: it is still one (malformed) record.
      const unterminated = this.inQuote;
      const nl = Buffer.from('\n');
      this.scan(nl, this.size);
      this.parts.push(nl);
      this.size += 1;
      if (unterminated) this.records++;
    }
    this.cut = this.size;
    this.cutRecords = this.records;
    this.cutNewlines = this.newlines;
    if (this.cutRecords === 0) return [];
    return [this.emit()];
  }

  private scan(piece: Buffer, base: number): void {
    const n = piece.length;
    // Fast path: no quote in the piece and not inside quotes — jump between newlines.
    if (!this.inQuote && piece.indexOf(QUOTE) === -1) {
      let i = 0;
      while (i < n) {
        const nl = piece.indexOf(LF, i);
        if (nl === -1) {
          if (hasContent(piece, i, n)) this.lineHasContent = true;
          return;
        }
        if (hasContent(piece, i, nl)) this.lineHasContent = true;
        this.terminate(base + nl + 1);
        i = nl + 1;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const b = piece[i];
      if (b === QUOTE) {
        this.inQuote = !this.inQuote;
        this.lineHasContent = true;
      } else if (b === LF) {
        if (this.inQuote) {
          this.newlines++;
          continue;
        }
        this.terminate(base + i + 1);
      } else if (b !== CR) {
        this.lineHasContent = true;
      }
    }
  }

  private terminate(offsetAfter: number): void {
    // Every line end moves the cut, so offsetAfter - cut is this record with its line end.
    if (this.lineHasContent && offsetAfter - this.cut > this.maxRecordBytes) this.tooLarge();
    this.newlines++;
    if (this.lineHasContent) this.records++;
    this.lineHasContent = false;
    this.cut = offsetAfter;
    this.cutRecords = this.records;
    this.cutNewlines = this.newlines;
  }

  /** Throws for the record after the last cut: it starts on the line after the last line end. */
  private tooLarge(): never {
    throw new RecordTooLargeError(this.nextLine + this.cutNewlines, this.maxRecordBytes);
  }

  private emit(): Chunk {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    const data = all.subarray(0, this.cut);
    const chunk: Chunk = { data, firstLine: this.nextLine, records: this.cutRecords };
    this.nextLine += this.cutNewlines;
    this.records -= this.cutRecords;
    this.newlines -= this.cutNewlines;
    // Copy the (small) remainder so it does not keep the emitted chunk's memory alive.
    const rest = this.cut < all.length ? Buffer.from(all.subarray(this.cut)) : undefined;
    this.parts = rest ? [rest] : [];
    this.size = rest?.length ?? 0;
    this.cut = 0;
    this.cutRecords = 0;
    this.cutNewlines = 0;
    return chunk;
  }
}

/** Where a buffer's records start: what bronze records about a chunk, without splitting it. */
export interface RecordLines {
  /** Records (blank lines excluded), as {@link splitRecords} counts them. */
  records: number;
  /** Line of the first record; `startLine` when there is none. */
  firstLine: number;
  /** Line of the last record; `firstLine - 1` when there is none. */
  lastLine: number;
}

/**
 * The record count and the lines of the first and last record of a buffer, by the rules of
 * {@link splitRecords} but without materializing spans. A quote-free buffer (the common case) is
 * walked from newline to newline with indexOf instead of byte by byte.
 */
export function recordLines(buf: Buffer, startLine: number): RecordLines {
  const n = buf.length;
  let records = 0;
  let first = -1;
  let last = -1;
  const note = (line: number) => {
    records++;
    if (first === -1) first = line;
    last = line;
  };
  let line = startLine;
  if (buf.indexOf(QUOTE) === -1) {
    let i = 0;
    for (let nl = buf.indexOf(LF); nl !== -1; nl = buf.indexOf(LF, i)) {
      const end = nl > i && buf[nl - 1] === CR ? nl - 1 : nl;
      if (hasContent(buf, i, end)) note(line);
      line++;
      i = nl + 1;
    }
    if (i < n && hasContent(buf, i, buf[n - 1] === CR ? n - 1 : n)) note(line);
  } else {
    let start = 0;
    let startLineOfRecord = line;
    let inQuote = false;
    for (let i = 0; i < n; i++) {
      const b = buf[i];
      if (b === QUOTE) inQuote = !inQuote;
      else if (b === LF) {
        line++;
        if (inQuote) continue;
        const end = i > start && buf[i - 1] === CR ? i - 1 : i;
        if (hasContent(buf, start, end)) note(startLineOfRecord);
        start = i + 1;
        startLineOfRecord = line;
      }
    }
    if (start < n) {
      const end = buf[n - 1] === CR && !inQuote ? n - 1 : n;
      if (inQuote || hasContent(buf, start, end)) note(startLineOfRecord);
    }
  }
  return first === -1
    ? { records: 0, firstLine: startLine, lastLine: startLine - 1 }
    : { records, firstLine: first, lastLine: last };
}
