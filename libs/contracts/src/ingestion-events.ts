/**
 * Public ingestion events (topic `trips.ingestion-events.v1`, JSON value, key = ingestionId).
 * Downstream systems subscribe to this topic; the notifier forwards it to socket.io clients.
 * Field-by-field documentation with examples: docs/events.md and docs/asyncapi.yaml.
 */

/** Which layer an event reports on. */
export type Layer = 'upload' | 'bronze' | 'silver' | 'gold' | 'ingestion';

/** Lifecycle state of an ingestion, as stored in meta.ingestions. */
export type IngestionState =
  | 'accepted'
  | 'uploading'
  | 'processing'
  | 'completed'
  | 'failed'
  /** DELETE was accepted; its rows still count until `retracted`. */
  | 'retracting'
  /** Its rows have left silver and gold, and no answer counts them. */
  | 'retracted';

/** Every state, in lifecycle order (OpenAPI enums, validation). */
export const INGESTION_STATES: readonly IngestionState[] = [
  'accepted',
  'uploading',
  'processing',
  'completed',
  'failed',
  'retracting',
  'retracted',
];

/** The upload was accepted (header valid); chunks follow. */
export interface IngestionAcceptedV1 {
  fileName: string | null;
  contentType: string;
  gzip: boolean;
  columns: string[];
  /** Header columns that are not part of the schema; they are ignored. */
  ignoredColumns: string[];
}
/** Throttled: bytes and rows published to Kafka so far. */
export interface UploadProgressV1 {
  bytes: number;
  rows: number;
  chunks: number;
}
/** The whole body is in Kafka. `bytes` and `sha256` are of the (decompressed) CSV. */
export interface UploadCompletedV1 {
  chunks: number;
  rows: number;
  bytes: number;
  sha256: string;
}
/** Throttled: chunks and rows loaded into bronze so far. `totalChunks` is null until the upload ends. */
export interface BronzeProgressV1 {
  chunksLoaded: number;
  rowsLoaded: number;
  totalChunks: number | null;
  totalRows: number | null;
}
/** Every chunk of the upload is in bronze. */
export interface BronzeCompletedV1 {
  chunks: number;
  rows: number;
}
/** Throttled: rows typed into silver (valid) or rejected so far. */
export interface SilverProgressV1 {
  chunksDone: number;
  totalChunks: number | null;
  validRows: number;
  rejectedRows: number;
  totalRows: number | null;
}
/** Every bronze row is either in silver or in silver.rejects. */
export interface SilverCompletedV1 {
  validRows: number;
  rejectedRows: number;
}
/** Gold (trip groups, weekly counts) includes every valid row of the ingestion. */
export interface GoldCompletedV1 {
  trips: number;
}
/** The ingestion is complete; `durationMs` runs from acceptance to this event. */
export interface IngestionCompletedV1 {
  rows: number;
  validRows: number;
  rejectedRows: number;
  durationMs: number;
}
/** The ingestion failed and will not progress further. */
export interface IngestionFailedV1 {
  stage: 'upload' | 'bronze' | 'silver' | 'gold';
  code: string;
  message: string;
}

/**
 * A completed ingestion was retracted (`DELETE /api/v1/ingestions/:id`): its `trips` valid rows have
 * left silver and every gold table, in one transaction, and no answer counts them any more. Bronze
 * and the rejects stay, as the record of what was uploaded.
 */
export interface IngestionRetractedV1 {
  trips: number;
}

/** Event type → payload. Publishing is type-checked against this map. */
export interface IngestionEventDataMap {
  'ingestion.accepted': IngestionAcceptedV1;
  'upload.progress': UploadProgressV1;
  'upload.completed': UploadCompletedV1;
  'bronze.progress': BronzeProgressV1;
  'bronze.completed': BronzeCompletedV1;
  'silver.progress': SilverProgressV1;
  'silver.completed': SilverCompletedV1;
  'gold.completed': GoldCompletedV1;
  'ingestion.completed': IngestionCompletedV1;
  'ingestion.failed': IngestionFailedV1;
  'ingestion.retracted': IngestionRetractedV1;
}

export type IngestionEventType = keyof IngestionEventDataMap;

export const EVENT_LAYER: Record<IngestionEventType, Layer> = {
  'ingestion.accepted': 'ingestion',
  'upload.progress': 'upload',
  'upload.completed': 'upload',
  'bronze.progress': 'bronze',
  'bronze.completed': 'bronze',
  'silver.progress': 'silver',
  'silver.completed': 'silver',
  'gold.completed': 'gold',
  'ingestion.completed': 'ingestion',
  'ingestion.failed': 'ingestion',
  'ingestion.retracted': 'ingestion',
};

/** The envelope of every public event. */
export interface IngestionEvent<T extends IngestionEventType = IngestionEventType> {
  /**
   * Deterministic id: `<type>:<ingestionId>` for one-off events, `<type>:<ingestionId>:<n>` for
   * progress. A redelivered or re-published event carries the same id, so consumers dedup on it.
   */
  eventId: string;
  type: T;
  /** Payload schema version (all types are at 1). */
  version: 1;
  ingestionId: string;
  layer: Layer;
  /** ISO-8601 UTC time the event was produced. */
  occurredAt: string;
  data: IngestionEventDataMap[T];
}

/** Builds an event with its deterministic id. `discriminator` distinguishes repeated (progress) events. */
export function makeEvent<T extends IngestionEventType>(
  type: T,
  ingestionId: string,
  data: IngestionEventDataMap[T],
  discriminator?: string | number,
  occurredAt: Date = new Date(),
): IngestionEvent<T> {
  const eventId = discriminator === undefined ? `${type}:${ingestionId}` : `${type}:${ingestionId}:${discriminator}`;
  return {
    eventId,
    type,
    version: 1,
    ingestionId,
    layer: EVENT_LAYER[type],
    occurredAt: occurredAt.toISOString(),
    data,
  };
}

/** Validates the envelope of a decoded event (payload fields are trusted per type). */
export function parseIngestionEvent(value: unknown): IngestionEvent {
  const e = value as Partial<IngestionEvent> | null;
  if (!e || typeof e !== 'object') throw new Error('event: not an object');
  if (typeof e.eventId !== 'string' || !e.eventId) throw new Error('event: eventId missing');
  if (typeof e.type !== 'string' || !(e.type in EVENT_LAYER)) throw new Error(`event: unknown type ${String(e.type)}`);
  if (typeof e.ingestionId !== 'string' || !e.ingestionId) throw new Error('event: ingestionId missing');
  if (typeof e.occurredAt !== 'string') throw new Error('event: occurredAt missing');
  if (!e.data || typeof e.data !== 'object') throw new Error('event: data missing');
  return e as IngestionEvent;
}
