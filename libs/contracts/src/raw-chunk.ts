/**
 * A chunk of whole CSV records (never a partial record), published by upload-gateway.
 *
 * Transport: the Kafka message value is the chunk's bytes exactly as uploaded (UTF-8, no header line,
 * records end with `\n` or `\r\n`); these metadata fields travel as Kafka headers (see
 * {@link encodeRawChunkHeaders}). Key: `<ingestionId>:<seq>`, so chunks spread over partitions and
 * several bronze-loaders share one ingestion.
 */
export interface RawChunkV1 {
  kind: 'chunk';
  ingestionId: string;
  /** 0-based position of the chunk in the upload. */
  seq: number;
  /** Source line number (1-based, header = line 1) of the chunk's first record. */
  firstLine: number;
  /** Column names of the upload's header, in file order (lower-cased, trimmed). */
  columns: string[];
}

/**
 * The end-of-upload marker, sent after the last chunk. Value: empty. It tells bronze-loader how many
 * chunks to expect, so "bronze completed" is emitted exactly when all of them are in.
 */
export interface RawUploadEndV1 {
  kind: 'end';
  ingestionId: string;
  totalChunks: number;
  totalRows: number;
}

export type RawMessageV1 = RawChunkV1 | RawUploadEndV1;

/** Kafka headers carrying a {@link RawMessageV1}. */
export function encodeRawChunkHeaders(m: RawMessageV1): Record<string, string> {
  return { 'x-raw': JSON.stringify(m) };
}

/** Parses the headers of a raw-chunk message; throws a descriptive error when malformed. */
export function decodeRawChunkHeaders(headers: Record<string, unknown> | undefined): RawMessageV1 {
  const raw = headers?.['x-raw'];
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  if (!text) throw new Error('raw chunk without x-raw header');
  const m = JSON.parse(text) as Partial<RawMessageV1>;
  if (typeof m.ingestionId !== 'string' || !m.ingestionId) throw new Error('raw chunk: ingestionId missing');
  if (m.kind === 'chunk') {
    if (!Number.isInteger(m.seq) || (m.seq as number) < 0) throw new Error('raw chunk: bad seq');
    if (!Number.isInteger(m.firstLine) || (m.firstLine as number) < 2) throw new Error('raw chunk: bad firstLine');
    if (!Array.isArray(m.columns) || m.columns.some((c) => typeof c !== 'string')) {
      throw new Error('raw chunk: bad columns');
    }
    return m as RawChunkV1;
  }
  if (m.kind === 'end') {
    if (!Number.isInteger(m.totalChunks) || (m.totalChunks as number) < 0) throw new Error('raw end: bad totalChunks');
    if (!Number.isInteger(m.totalRows) || (m.totalRows as number) < 0) throw new Error('raw end: bad totalRows');
    return m as RawUploadEndV1;
  }
  throw new Error(`raw chunk: unknown kind ${String((m as { kind?: unknown }).kind)}`);
}
