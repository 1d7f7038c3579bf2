import type { IngestionState, SocketIngestionEvent } from '#contracts';

/**
 * One layer's bar: `done` of `total`. While the upload is still arriving the total is provisional
 * (`totalFinal` false): the rows in Kafka so far, which the layer cannot overtake. Null before any.
 */
export interface LayerBar {
  done: number;
  total: number | null;
  totalFinal: boolean;
  completed: boolean;
}

export interface IngestionSummary {
  rows: number;
  validRows: number;
  rejectedRows: number;
  durationMs: number;
}

export interface IngestionFailure {
  stage: string;
  code: string;
  message: string;
}

/**
 * What a client knows about one ingestion after the events it has seen. Built only by
 * {@link applyEvent}, so the bars, the plain-text lines and the summary all agree.
 */
export interface IngestionProgress {
  ingestionId: string;
  /** Seq of the last event applied: the `afterSeq` of a re-subscription. */
  lastSeq: number;
  state: IngestionState;
  fileName: string | null;
  /** Rows of the whole file, once the upload has completed. */
  totalRows: number | null;
  upload: { bytes: number; rows: number; chunks: number; completed: boolean };
  bronze: LayerBar;
  silver: LayerBar & { valid: number; rejected: number };
  gold: LayerBar;
  summary: IngestionSummary | null;
  failure: IngestionFailure | null;
}

export function initialProgress(ingestionId: string): IngestionProgress {
  return {
    ingestionId,
    lastSeq: 0,
    state: 'accepted',
    fileName: null,
    totalRows: null,
    upload: { bytes: 0, rows: 0, chunks: 0, completed: false },
    bronze: { done: 0, total: null, totalFinal: false, completed: false },
    silver: { done: 0, total: null, totalFinal: false, completed: false, valid: 0, rejected: 0 },
    gold: { done: 0, total: null, totalFinal: false, completed: false },
    summary: null,
    failure: null,
  };
}

export const isFinished = (p: IngestionProgress): boolean => p.state === 'completed' || p.state === 'failed';

// Progress values only grow: a late, throttled progress event must not move a bar backwards.
const grow = (current: number, next: number): number => Math.max(current, next);

/** The rows a layer will end with: the file's rows once known, else the rows in Kafka so far. */
function layerTotal(p: IngestionProgress): { total: number | null; totalFinal: boolean } {
  if (p.totalRows !== null) return { total: p.totalRows, totalFinal: true };
  return { total: p.upload.rows > 0 ? p.upload.rows : null, totalFinal: false };
}

/** Gold is upserted in the same transaction as silver, one chunk at a time: it holds the valid rows silver has. */
function goldBar(p: IngestionProgress): LayerBar {
  if (p.gold.completed) return p.gold;
  const { total, totalFinal } = layerTotal(p);
  // Rejects never reach gold, so its total shrinks as silver rejects rows.
  return {
    done: p.silver.valid,
    total: total === null ? null : total - p.silver.rejected,
    totalFinal,
    completed: false,
  };
}

/**
 * Applies one event. Events at or below `lastSeq` (a replay overlapping what was seen, a duplicate)
 * return the same object, so callers can tell "nothing new" by identity.
 */
export function applyEvent(p: IngestionProgress, event: SocketIngestionEvent): IngestionProgress {
  if (event.ingestionId !== p.ingestionId || event.seq <= p.lastSeq) return p;
  const next: IngestionProgress = {
    ...p,
    lastSeq: event.seq,
    upload: { ...p.upload },
    bronze: { ...p.bronze },
    silver: { ...p.silver },
    gold: { ...p.gold },
  };
  const running = (): void => {
    if (next.state === 'accepted') next.state = 'uploading';
  };
  switch (event.type) {
    case 'ingestion.accepted': {
      const d = event.data as { fileName: string | null };
      next.fileName = d.fileName;
      break;
    }
    case 'upload.progress': {
      const d = event.data as { bytes: number; rows: number; chunks: number };
      running();
      next.upload = {
        ...next.upload,
        bytes: grow(p.upload.bytes, d.bytes),
        rows: grow(p.upload.rows, d.rows),
        chunks: grow(p.upload.chunks, d.chunks),
      };
      break;
    }
    case 'upload.completed': {
      const d = event.data as { bytes: number; rows: number; chunks: number };
      next.upload = { bytes: d.bytes, rows: d.rows, chunks: d.chunks, completed: true };
      next.totalRows = d.rows;
      if (!isFinished(next)) next.state = 'processing';
      break;
    }
    case 'bronze.progress': {
      const d = event.data as { rowsLoaded: number; totalRows: number | null };
      running();
      next.bronze.done = grow(p.bronze.done, d.rowsLoaded);
      if (d.totalRows !== null) next.totalRows = d.totalRows;
      break;
    }
    case 'bronze.completed': {
      const d = event.data as { rows: number };
      next.bronze = { done: d.rows, total: d.rows, totalFinal: true, completed: true };
      next.totalRows = d.rows;
      break;
    }
    case 'silver.progress': {
      const d = event.data as { validRows: number; rejectedRows: number; totalRows: number | null };
      running();
      next.silver.valid = grow(p.silver.valid, d.validRows);
      next.silver.rejected = grow(p.silver.rejected, d.rejectedRows);
      next.silver.done = next.silver.valid + next.silver.rejected;
      if (d.totalRows !== null) next.totalRows = d.totalRows;
      break;
    }
    case 'silver.completed': {
      const d = event.data as { validRows: number; rejectedRows: number };
      const rows = d.validRows + d.rejectedRows;
      next.silver = {
        done: rows,
        total: rows,
        totalFinal: true,
        completed: true,
        valid: d.validRows,
        rejected: d.rejectedRows,
      };
      break;
    }
    case 'gold.completed': {
      const d = event.data as { trips: number };
      next.gold = { done: d.trips, total: d.trips, totalFinal: true, completed: true };
      break;
    }
    case 'ingestion.completed': {
      const d = event.data as IngestionSummary;
      next.summary = { rows: d.rows, validRows: d.validRows, rejectedRows: d.rejectedRows, durationMs: d.durationMs };
      next.state = 'completed';
      next.totalRows ??= d.rows;
      break;
    }
    case 'ingestion.failed': {
      const d = event.data as IngestionFailure;
      next.failure = { stage: d.stage, code: d.code, message: d.message };
      next.state = 'failed';
      break;
    }
  }
  const total = layerTotal(next);
  if (!next.bronze.completed) next.bronze = { ...next.bronze, ...total };
  if (!next.silver.completed) next.silver = { ...next.silver, ...total };
  next.gold = goldBar(next);
  return next;
}

/** Rows per second of a finished ingestion (0 when the duration is unknown). */
export function rowsPerSecond(summary: IngestionSummary): number {
  return summary.durationMs > 0 ? Math.round((summary.rows * 1000) / summary.durationMs) : 0;
}
