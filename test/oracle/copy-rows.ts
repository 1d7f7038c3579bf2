// FROZEN copy of apps/bronze-loader/src/chunks/copy-rows.ts (commit 3772b28): the old bronze path, oracle of parser-parity.int-spec.ts.
import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import { REQUIRED_COLUMNS, type RequiredColumn } from '#contracts';
import { splitRecords, type CsvRecordSpan } from '#csv';

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const ZERO = 0x30;

/**
 * How the upload's columns map onto bronze. `verbatim`: the upload has exactly the five schema
 * columns (any order), so each record's bytes are copied untouched and PostgreSQL parses them.
 * `project`: extra columns; each record is parsed in JS and only the schema fields are re-serialized.
 */
export type ColumnPlan =
  | { mode: 'verbatim'; width: number; copyColumns: RequiredColumn[] }
  | { mode: 'project'; width: number; copyColumns: RequiredColumn[]; indices: number[] };

/** The upload's header cannot be loaded (a contract violation by the producer). */
export class ColumnsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ColumnsError';
  }
}

/** Maps the upload's header (lower-cased names in file order) onto the bronze columns. */
export function planColumns(columns: readonly string[]): ColumnPlan {
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) throw new ColumnsError(`upload columns lack ${missing.join(', ')}`);
  const duplicated = REQUIRED_COLUMNS.filter((c) => columns.indexOf(c) !== columns.lastIndexOf(c));
  if (duplicated.length) throw new ColumnsError(`upload columns repeat ${duplicated.join(', ')}`);
  if (columns.length === REQUIRED_COLUMNS.length) {
    return { mode: 'verbatim', width: columns.length, copyColumns: columns as RequiredColumn[] };
  }
  return {
    mode: 'project',
    width: columns.length,
    copyColumns: [...REQUIRED_COLUMNS],
    indices: REQUIRED_COLUMNS.map((c) => columns.indexOf(c)),
  };
}

/** Why a record is kept only as raw text. */
export type BadRecordReason = 'field_count' | 'unterminated' | 'invalid_encoding';

export interface ChunkRows {
  /** Records in the chunk (good + bad) — what bronze_rows counts. */
  rows: number;
  /** Line of the first / last record; an empty chunk has lastLine = firstLine - 1. */
  firstLine: number;
  lastLine: number;
  /** COPY payload (CSV) for `ingestion_no, line_no, <plan.copyColumns>`, one line per good record. */
  good: Buffer;
  goodRows: number;
  /** COPY payload (CSV) for `ingestion_no, line_no, raw_record`, one line per bad record. */
  bad: Buffer;
  badRows: number;
  badReasons: Partial<Record<BadRecordReason, number>>;
  /** The record spans, for the per-record fallback. */
  records: CsvRecordSpan[];
}

/**
 * Builds the COPY payloads of one raw chunk. Hot path: for a verbatim plan the only per-record work is
 * writing `<ingestionNo>,<line>,` and copying the record's bytes — PostgreSQL parses the fields.
 * A record that COPY would reject or mis-read (wrong field count, open quote, not UTF-8, NUL byte) is
 * kept whole as text in raw_record instead, so nothing is dropped.
 */
export function buildChunkRows(value: Buffer, firstLine: number, ingestionNo: number, plan: ColumnPlan): ChunkRows {
  const records = splitRecords(value, firstLine);
  // Encoding is checked once per chunk; only a chunk that fails is checked record by record.
  const chunkClean = isUtf8(value) && value.indexOf(0) === -1;
  const badRecords: { span: CsvRecordSpan; reason: BadRecordReason }[] = [];
  const badReasons: Partial<Record<BadRecordReason, number>> = {};
  const reject = (span: CsvRecordSpan, reason: BadRecordReason) => {
    badRecords.push({ span, reason });
    badReasons[reason] = (badReasons[reason] ?? 0) + 1;
  };
  const verdict = (r: CsvRecordSpan): BadRecordReason | undefined => {
    if (r.unterminated) return 'unterminated';
    if (r.fields !== plan.width) return 'field_count';
    if (!chunkClean && !isCleanText(value.subarray(r.start, r.end))) return 'invalid_encoding';
    return undefined;
  };

  let good: Buffer;
  let goodRows = 0;
  if (plan.mode === 'verbatim') {
    const prefix = Buffer.from(`${ingestionNo},`);
    // Room for every record's prefix: the ingestion, a line number of up to 20 digits, a comma.
    const room = records.length * (prefix.length + 21);
    // The chunk is placed at the end of the output once; each record then moves left into place with
    // copyWithin (no per-record Buffer objects: their allocation dominated the cost). The write position
    // never overtakes unread input, because `room` covers every prefix still to be written.
    const out = Buffer.allocUnsafe(room + value.length);
    out.set(value, room);
    let pos = 0;
    for (const r of records) {
      const reason = verdict(r);
      if (reason) {
        reject(r, reason);
        continue;
      }
      for (let i = 0; i < prefix.length; i++) out[pos++] = prefix[i];
      pos = writeDecimal(out, pos, r.line);
      out[pos++] = COMMA;
      out.copyWithin(pos, room + r.start, room + r.end);
      pos += r.end - r.start;
      out[pos++] = LF;
      goodRows++;
    }
    good = out.subarray(0, pos);
  } else {
    const lines: string[] = [];
    for (const r of records) {
      const reason = verdict(r);
      const fields = reason ? undefined : parseRecord(value.subarray(r.start, r.end));
      if (reason || !fields || fields.length !== plan.width) {
        reject(r, reason ?? 'field_count');
        continue;
      }
      lines.push(`${ingestionNo},${r.line},${plan.indices.map((i) => csvQuote(fields[i])).join(',')}\n`);
      goodRows++;
    }
    good = Buffer.from(lines.join(''));
  }

  const bad = Buffer.from(
    badRecords.map(({ span }) => `${ingestionNo},${span.line},${csvQuote(rawText(value, span))}\n`).join(''),
  );
  return {
    rows: records.length,
    firstLine: records.length ? records[0].line : firstLine,
    lastLine: records.length ? records[records.length - 1].line : firstLine - 1,
    good,
    goodRows,
    bad,
    badRows: badRecords.length,
    badReasons,
    records,
  };
}

/** A record for the per-record fallback: the schema fields when it parses, and always its raw text. */
export interface InsertRow {
  line: number;
  values?: Record<RequiredColumn, string>;
  raw: string;
}

/**
 * The slow path used when COPY rejected a chunk: every record parsed on its own (csv-parse), so one
 * record PostgreSQL cannot read costs only that record, which is then kept as raw text.
 */
export function parseChunkRecords(value: Buffer, records: CsvRecordSpan[], columns: readonly string[]): InsertRow[] {
  const indices = REQUIRED_COLUMNS.map((c) => columns.indexOf(c));
  return records.map((r) => {
    const bytes = value.subarray(r.start, r.end);
    const raw = rawText(value, r);
    const fields =
      !r.unterminated && r.fields === columns.length && isCleanText(bytes) ? parseRecord(bytes) : undefined;
    if (!fields || fields.length !== columns.length) return { line: r.line, raw };
    const values = {} as Record<RequiredColumn, string>;
    REQUIRED_COLUMNS.forEach((c, k) => (values[c] = fields[indices[k]]));
    return { line: r.line, values, raw };
  });
}

/** Valid UTF-8 without NUL bytes (PostgreSQL text can hold neither invalid sequences nor NUL). */
export function isCleanText(bytes: Buffer): boolean {
  return bytes.indexOf(0) === -1 && isUtf8(bytes);
}

/** One record's fields, or undefined when csv-parse cannot read it as exactly one record. */
function parseRecord(bytes: Buffer): string[] | undefined {
  try {
    // Only a real line break ends a record: a stray CR inside a field is data.
    const rows = parse(bytes, { record_delimiter: ['\r\n', '\n'] });
    return rows.length === 1 ? rows[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record as text for raw_record: invalid UTF-8 and NUL bytes (which PostgreSQL text cannot hold)
 * both become U+FFFD, so the text still shows where the record was damaged and the transformer can
 * tell an encoding reject from a field-count reject.
 */
export function rawText(value: Buffer, span: CsvRecordSpan): string {
  let end = span.end;
  // An unterminated record swallowed the line break that ended the upload; it is not part of the record.
  if (span.unterminated && end > span.start && value[end - 1] === LF) {
    end--;
    if (end > span.start && value[end - 1] === CR) end--;
  }
  return value.toString('utf8', span.start, end).replaceAll('\0', '\uFFFD');
}

/** A CSV field that PostgreSQL reads back as exactly `s` (quoted, so '' stays an empty string). */
export function csvQuote(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

function writeDecimal(out: Buffer, pos: number, n: number): number {
  if (n < 10) {
    out[pos] = ZERO + n;
    return pos + 1;
  }
  let digits = 0;
  for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
  for (let i = pos + digits - 1, m = n; i >= pos; i--, m = Math.floor(m / 10)) out[i] = ZERO + (m % 10);
  return pos + digits;
}
