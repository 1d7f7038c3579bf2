import { parse } from 'csv-parse/sync';
import { REQUIRED_COLUMNS } from '#contracts';
import { AppError } from '#common';

/** The header record must end within this many bytes of the start of the file (after a BOM). */
export const MAX_HEADER_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The header record, cut from the first bytes of the (decompressed) upload. */
export interface HeaderFound {
  /** The header record's bytes, without BOM and line terminator. */
  header: Buffer;
  /** Bytes after the header's terminator: the start of the data records. */
  rest: Buffer;
  /** Physical line number (1-based) of the first byte of `rest`. */
  nextLine: number;
}

export const notCsv = (message: string, details?: Record<string, unknown>) =>
  new AppError(400, 'not_csv', `The body is not a CSV file: ${message}`, details);

export const emptyBody = () => new AppError(400, 'empty_body', 'The upload is empty (no header line)');

const isBlank = (buf: Buffer, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
};

/**
 * Finds the header record in the first bytes of an upload, fed in arbitrary pieces. Strips a UTF-8
 * BOM, skips leading blank lines, and honours quotes (a quoted header name may contain a newline),
 * with the same record rules as `RecordChunker`, so line numbers agree with bronze. Holds at most
 * {@link MAX_HEADER_BYTES} plus one incoming piece: binary garbage without a newline fails early
 * instead of being buffered.
 */
export class CsvHeaderScanner {
  private acc: Buffer = Buffer.alloc(0);
  /** Where the BOM check / scan resumes. */
  private pos = 0;
  private bomChecked = false;
  private inQuote = false;
  private lineStart = 0;
  /** Physical line of `lineStart`. */
  private line = 1;
  private newlinesInRecord = 0;

  /** Adds bytes; returns the header once its terminator has arrived. Throws `not_csv` past the limit. */
  push(piece: Buffer): HeaderFound | undefined {
    this.acc = this.acc.length ? Buffer.concat([this.acc, piece]) : piece;
    if (!this.bomChecked) {
      if (this.acc.length < BOM.length && BOM.subarray(0, this.acc.length).equals(this.acc)) return undefined;
      this.bomChecked = true;
      if (this.acc.subarray(0, BOM.length).equals(BOM)) this.pos = this.lineStart = BOM.length;
    }
    const found = this.scan();
    if (found) return found;
    if (this.acc.length - this.bomLength() > MAX_HEADER_BYTES) {
      throw notCsv(`no header line ending within the first ${MAX_HEADER_BYTES} bytes`);
    }
    return undefined;
  }

  /** The body ended: the rest is the header (a header-only file may lack its final newline). */
  end(): HeaderFound {
    const start = this.bomChecked ? this.lineStart : this.acc.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
    let end = this.acc.length;
    if (!this.inQuote && end > start && this.acc[end - 1] === CR) end--;
    if (!this.inQuote && isBlank(this.acc, start, end)) throw emptyBody();
    return {
      header: this.acc.subarray(start, end),
      rest: Buffer.alloc(0),
      nextLine: this.line + this.newlinesInRecord + 1,
    };
  }

  private bomLength(): number {
    return this.acc.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
  }

  private scan(): HeaderFound | undefined {
    const buf = this.acc;
    for (let i = this.pos; i < buf.length; i++) {
      const b = buf[i];
      if (b === QUOTE) {
        this.inQuote = !this.inQuote;
      } else if (b === LF) {
        if (this.inQuote) {
          this.newlinesInRecord++;
          continue;
        }
        const end = i > this.lineStart && buf[i - 1] === CR ? i - 1 : i;
        if (isBlank(buf, this.lineStart, end)) {
          this.lineStart = i + 1;
          this.line++;
          continue;
        }
        if (end - this.bomLength() > MAX_HEADER_BYTES) {
          throw notCsv(`no header line ending within the first ${MAX_HEADER_BYTES} bytes`);
        }
        return {
          header: buf.subarray(this.lineStart, end),
          rest: buf.subarray(i + 1),
          nextLine: this.line + this.newlinesInRecord + 1,
        };
      }
    }
    this.pos = buf.length;
    return undefined;
  }
}

/** The validated header of an upload. */
export interface CsvHeader {
  /** Every column name in file order, trimmed and lower-cased (what bronze-loader maps by). */
  columns: string[];
  /** Columns that are not part of the schema; they travel with the data but are ignored. */
  ignoredColumns: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Validates and parses the header record: it must be UTF-8 text without control characters other
 * than tab/CR/LF, hold every required column exactly once (any order), and may hold extra columns.
 * Throws `not_csv` (400), `duplicate_columns` or `missing_columns` (422).
 */
export function parseCsvHeader(header: Buffer): CsvHeader {
  let text: string;
  try {
    text = utf8.decode(header);
  } catch {
    throw notCsv('the header line is not valid UTF-8');
  }
  // Binary files often decode "successfully" as text; control characters give them away.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point of this check
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    throw notCsv('the header line contains control characters (a binary file?)');
  }
  let records: string[][];
  try {
    records = parse(text, { trim: true, relax_column_count: true, skip_empty_lines: false });
  } catch (error) {
    throw notCsv(`the header line is not a valid CSV record (${(error as Error).message})`);
  }
  if (records.length !== 1) throw notCsv('the header line is not a single CSV record');
  const columns = records[0].map((name) => name.trim().toLowerCase());

  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const c of columns) (seen.has(c) ? duplicates : seen).add(c);
  if (duplicates.size) {
    throw new AppError(
      422,
      'duplicate_columns',
      `Column names must be unique; repeated: ${[...duplicates].join(', ')}`,
      {
        duplicates: [...duplicates],
        found: columns,
      },
    );
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length) {
    throw new AppError(422, 'missing_columns', `The header lacks required column(s): ${missing.join(', ')}`, {
      missing,
      found: columns,
      required: [...REQUIRED_COLUMNS],
    });
  }
  const required = new Set<string>(REQUIRED_COLUMNS);
  return { columns, ignoredColumns: columns.filter((c) => !required.has(c)) };
}
