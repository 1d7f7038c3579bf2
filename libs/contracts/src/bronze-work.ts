/**
 * Work items for the transformer (topic `trips.bronze-work.v1`, JSON value): chunks and end markers
 * from bronze-loader, retractions from upload-gateway.
 * Key: `<ingestionId>:<seq>` for chunks, `<ingestionId>:end` for the end marker, `<ingestionId>:retract`.
 */
export interface BronzeChunkLoadedV1 {
  kind: 'chunk';
  ingestionId: string;
  /** Database surrogate of the ingestion (bronze/silver rows are keyed by it). */
  ingestionNo: number;
  seq: number;
  /** Inclusive source line range of the chunk's records in bronze. */
  firstLine: number;
  lastLine: number;
  /** Records loaded into bronze from this chunk. */
  rows: number;
}

/** All chunks of the ingestion are in bronze: the transformer can tell when silver/gold are complete. */
export interface BronzeCompletedWorkV1 {
  kind: 'end';
  ingestionId: string;
  ingestionNo: number;
  totalChunks: number;
}

/**
 * Retract a completed ingestion (upload-gateway's `DELETE /api/v1/ingestions/:id`, which set its
 * state to `retracting`): the transformer takes its rows out of silver and gold. Key: `<ingestionId>:retract`.
 */
export interface RetractWorkV1 {
  kind: 'retract';
  ingestionId: string;
  ingestionNo: number;
}

export type BronzeWorkV1 = BronzeChunkLoadedV1 | BronzeCompletedWorkV1 | RetractWorkV1;

const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Validates a decoded work item; throws a descriptive error (the caller dead-letters it). */
export function parseBronzeWork(value: unknown): BronzeWorkV1 {
  const m = value as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') throw new Error('bronze work: not an object');
  if (typeof m.ingestionId !== 'string' || !m.ingestionId) throw new Error('bronze work: ingestionId missing');
  if (!isInt(m.ingestionNo)) throw new Error('bronze work: bad ingestionNo');
  if (m.kind === 'chunk') {
    for (const k of ['seq', 'firstLine', 'lastLine', 'rows'] as const) {
      if (!isInt(m[k])) throw new Error(`bronze work: bad ${k}`);
    }
    return m as unknown as BronzeChunkLoadedV1;
  }
  if (m.kind === 'end') {
    if (!isInt(m.totalChunks)) throw new Error('bronze work: bad totalChunks');
    return m as unknown as BronzeCompletedWorkV1;
  }
  if (m.kind === 'retract') return m as unknown as RetractWorkV1;
  throw new Error(`bronze work: unknown kind ${String(m.kind)}`);
}
