import {
  isUuid,
  parseIngestionEvent,
  type IngestionEvent,
  type IngestionEventType,
  type IngestionFailedV1,
  type IngestionState,
} from '#contracts';

/**
 * The ledger of one ingestion, folded from its public events alone.
 *
 * The events carry per-layer row counts, never per-region figures (a region is a silver column the
 * platform does not publish), so this ledger is per ingestion; a per-region ledger would need the
 * query API, not the events.
 *
 * Invariants, which make the fold safe under at-least-once delivery and the interleaving of several
 * producers on one partition:
 * - a layer's completion event sets its final figures, and no later progress event moves them;
 * - progress only raises a count, so a late or re-published progress event changes nothing;
 * - the state only moves forward: `failed` and `retracted` are final, `completed` only becomes `retracted`;
 * - applying the same event twice gives the same figures (only `events` would count it twice, hence
 *   the event-id check before {@link applyEvent} in the repository).
 */
export interface LedgerEntry {
  ingestionId: string;
  /** As the platform's API reports it: uploading → processing → completed | failed, completed → retracted. */
  state: IngestionState;
  fileName: string | null;
  /** Decompressed bytes uploaded; final once the upload completed. */
  bytes: number;
  /** Of the decompressed file, from `upload.completed`. */
  sha256: string | null;
  /** Rows per layer, named as in the API's `counts`. */
  counts: { upload: number; bronze: number; silver: number; rejected: number; gold: number };
  /** `occurredAt` of each completion event (null until it arrived). */
  completedAt: {
    upload: string | null;
    bronze: string | null;
    silver: string | null;
    gold: string | null;
    ingestion: string | null;
  };
  failedAt: string | null;
  error: IngestionFailedV1 | null;
  /** From `ingestion.retracted`: its rows no longer count in the platform's answers. */
  retractedAt: string | null;
  /** From `ingestion.completed`: acceptance to completion. */
  durationMs: number | null;
  firstEventAt: string | null;
  lastEventAt: string | null;
  /** Distinct events applied. */
  events: number;
  /** Deliveries of an event already applied (Kafka redelivery, a re-publish, a replay), ignored. */
  duplicates: number;
}

/** One event of any type, narrowed by `type`. */
export type AnyIngestionEvent = { [T in IngestionEventType]: IngestionEvent<T> }[IngestionEventType];

export function emptyEntry(ingestionId: string): LedgerEntry {
  return {
    ingestionId,
    state: 'accepted',
    fileName: null,
    bytes: 0,
    sha256: null,
    counts: { upload: 0, bronze: 0, silver: 0, rejected: 0, gold: 0 },
    completedAt: { upload: null, bronze: null, silver: null, gold: null, ingestion: null },
    failedAt: null,
    error: null,
    retractedAt: null,
    durationMs: null,
    firstEventAt: null,
    lastEventAt: null,
    events: 0,
    duplicates: 0,
  };
}

/** The state each event implies at least. Progress of bronze and silver runs while the upload does. */
const STATE_AFTER: Record<IngestionEventType, IngestionState> = {
  'ingestion.accepted': 'uploading',
  'upload.progress': 'uploading',
  'bronze.progress': 'uploading',
  'silver.progress': 'uploading',
  'upload.completed': 'processing',
  'bronze.completed': 'processing',
  'silver.completed': 'processing',
  'gold.completed': 'processing',
  'ingestion.completed': 'completed',
  'ingestion.failed': 'failed',
  'ingestion.retracted': 'retracted',
};
const RANK: Record<IngestionState, number> = {
  accepted: 0,
  uploading: 1,
  processing: 2,
  completed: 3,
  failed: 3,
  retracting: 4,
  retracted: 5,
};

function advance(current: IngestionState, next: IngestionState): IngestionState {
  if (current === 'failed' || current === 'retracted') return current;
  if (current === 'completed' && next !== 'retracted') return current;
  return RANK[next] >= RANK[current] ? next : current;
}

/** Folds one event into the entry (a new object; `entry` is not modified). */
export function applyEvent(entry: LedgerEntry, event: AnyIngestionEvent): LedgerEntry {
  const next: LedgerEntry = structuredClone(entry);
  const at = event.occurredAt;
  next.events += 1;
  if (next.firstEventAt === null || at < next.firstEventAt) next.firstEventAt = at;
  if (next.lastEventAt === null || at > next.lastEventAt) next.lastEventAt = at;
  next.state = advance(next.state, STATE_AFTER[event.type]);
  const { counts, completedAt } = next;
  switch (event.type) {
    case 'ingestion.accepted':
      next.fileName = event.data.fileName;
      break;
    case 'upload.progress':
      if (completedAt.upload === null) {
        counts.upload = Math.max(counts.upload, event.data.rows);
        next.bytes = Math.max(next.bytes, event.data.bytes);
      }
      break;
    case 'upload.completed':
      counts.upload = event.data.rows;
      next.bytes = event.data.bytes;
      next.sha256 = event.data.sha256;
      completedAt.upload ??= at;
      break;
    case 'bronze.progress':
      if (completedAt.bronze === null) counts.bronze = Math.max(counts.bronze, event.data.rowsLoaded);
      break;
    case 'bronze.completed':
      counts.bronze = event.data.rows;
      completedAt.bronze ??= at;
      break;
    case 'silver.progress':
      if (completedAt.silver === null) {
        counts.silver = Math.max(counts.silver, event.data.validRows);
        counts.rejected = Math.max(counts.rejected, event.data.rejectedRows);
      }
      // docs/events.md: a segment is built into silver and gold together, so its valid rows are in gold too.
      if (completedAt.gold === null) counts.gold = Math.max(counts.gold, event.data.validRows);
      break;
    case 'silver.completed':
      counts.silver = event.data.validRows;
      counts.rejected = event.data.rejectedRows;
      completedAt.silver ??= at;
      break;
    case 'gold.completed':
      counts.gold = event.data.trips;
      completedAt.gold ??= at;
      break;
    case 'ingestion.completed':
      if (next.state === 'completed') {
        counts.silver = event.data.validRows;
        counts.rejected = event.data.rejectedRows;
        next.durationMs = event.data.durationMs;
        completedAt.ingestion ??= at;
      }
      break;
    case 'ingestion.retracted':
      if (next.state === 'retracted') next.retractedAt ??= at;
      break;
    case 'ingestion.failed':
      if (next.state === 'failed') {
        next.error ??= { stage: event.data.stage, code: event.data.code, message: event.data.message };
        next.failedAt ??= at;
      }
      break;
  }
  return next;
}

/** Counts a delivery of an event the entry already holds; nothing else changes. */
export function noteDuplicate(entry: LedgerEntry): LedgerEntry {
  return { ...entry, duplicates: entry.duplicates + 1 };
}

/** The payload fields the ledger reads, per type: non-negative integers. */
const COUNT_FIELDS: Record<IngestionEventType, string[]> = {
  'ingestion.accepted': [],
  'upload.progress': ['rows', 'bytes'],
  'upload.completed': ['rows', 'bytes'],
  'bronze.progress': ['rowsLoaded'],
  'bronze.completed': ['rows'],
  'silver.progress': ['validRows', 'rejectedRows'],
  'silver.completed': ['validRows', 'rejectedRows'],
  'gold.completed': ['trips'],
  'ingestion.completed': ['validRows', 'rejectedRows', 'durationMs'],
  'ingestion.failed': [],
  'ingestion.retracted': ['trips'],
};
const STRING_FIELDS: Partial<Record<IngestionEventType, string[]>> = {
  'upload.completed': ['sha256'],
  'ingestion.failed': ['stage', 'code', 'message'],
};

export type ReadResult = { ok: true; event: AnyIngestionEvent } | { ok: false; reason: string };

/**
 * Checks a decoded message before anything is written. A message this consumer cannot use (not an
 * event, a type newer than this code, a field of the wrong kind) is reported, not thrown: throwing would
 * make Kafka redeliver it forever and stall its partition.
 */
export function readEvent(payload: unknown): ReadResult {
  let event: IngestionEvent;
  try {
    event = parseIngestionEvent(payload);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (event.version !== 1) return { ok: false, reason: `event: version ${String(event.version)} is not 1` };
  if (!isUuid(event.ingestionId)) return { ok: false, reason: 'event: ingestionId is not a UUID' };
  const time = Date.parse(event.occurredAt);
  if (Number.isNaN(time)) return { ok: false, reason: 'event: occurredAt is not a time' };
  const data = event.data as unknown as Record<string, unknown>;
  for (const field of COUNT_FIELDS[event.type]) {
    const value = data[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      return { ok: false, reason: `event: data.${field} is not a count` };
  }
  for (const field of STRING_FIELDS[event.type] ?? []) {
    if (typeof data[field] !== 'string') return { ok: false, reason: `event: data.${field} is not a string` };
  }
  if (event.type === 'ingestion.accepted' && data.fileName !== null && typeof data.fileName !== 'string')
    return { ok: false, reason: 'event: data.fileName is not a string' };
  // One spelling of ids and times, so string comparisons and the uuid column agree.
  return {
    ok: true,
    event: {
      ...event,
      ingestionId: event.ingestionId.toLowerCase(),
      occurredAt: new Date(time).toISOString(),
    } as AnyIngestionEvent,
  };
}
