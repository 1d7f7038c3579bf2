// What the page knows about one ingestion, built from a query-api snapshot and/or socket.io events.
// Pure functions: the same event twice (seq at or below lastSeq) changes nothing.

export const TERMINAL = new Set(['completed', 'failed']);
/** The states after `completed` once a retraction is asked for (DELETE on the upload-gateway). */
export const RETRACTION = new Set(['retracting', 'retracted']);
/** States no further event changes unless someone acts (a retraction): nothing to follow live. */
export const SETTLED = new Set(['completed', 'failed', 'retracted']);

/** @returns a blank ingestion. */
export function blank(ingestionId) {
  return {
    ingestionId,
    lastSeq: 0,
    state: 'accepted',
    fileName: null,
    totalRows: null,
    uploadRows: 0,
    bronzeRows: 0,
    validRows: 0,
    rejectedRows: 0,
    goldRows: 0,
    done: { upload: false, bronze: false, silver: false, gold: false },
    durationMs: null,
    error: null,
    acceptedAt: null,
    /** Bytes this page has sent for it (its own uploads only). */
    sentBytes: null,
    sizeBytes: null,
  };
}

/** From a query-api `IngestionDto` (the list on load, or after a reconnect). */
export function fromSnapshot(item, previous) {
  const p = { ...(previous ?? blank(item.ingestionId)) };
  const c = item.counts ?? {};
  const t = item.timestamps ?? {};
  // Only a retraction moves an ingestion on from a final state; nothing moves it back from `retracted`.
  if (p.state !== 'retracted' && (!TERMINAL.has(p.state) || RETRACTION.has(item.state))) p.state = item.state;
  p.fileName = item.fileName ?? p.fileName;
  p.totalRows = item.totalRows ?? p.totalRows;
  p.uploadRows = Math.max(p.uploadRows, c.upload ?? 0);
  p.bronzeRows = Math.max(p.bronzeRows, c.bronze ?? 0);
  p.validRows = Math.max(p.validRows, c.silver ?? 0);
  p.rejectedRows = Math.max(p.rejectedRows, c.rejected ?? 0);
  p.done = {
    upload: p.done.upload || Boolean(t.uploadCompletedAt),
    bronze: p.done.bronze || Boolean(t.bronzeCompletedAt),
    silver: p.done.silver || Boolean(t.silverCompletedAt),
    gold: p.done.gold || Boolean(t.goldCompletedAt),
  };
  p.goldRows = p.done.gold ? p.validRows : Math.max(p.goldRows, p.validRows);
  p.durationMs = item.timings?.totalMs ?? p.durationMs;
  p.error = item.error ?? p.error;
  p.acceptedAt = t.acceptedAt ?? p.acceptedAt;
  return p;
}

/** Applies one socket.io `ingestion.event`. */
export function applyEvent(p, event) {
  if (event.ingestionId !== p.ingestionId || event.seq <= p.lastSeq) return p;
  const n = { ...p, lastSeq: event.seq, done: { ...p.done } };
  const d = event.data ?? {};
  const running = () => {
    if (n.state === 'accepted') n.state = 'uploading';
  };
  switch (event.type) {
    case 'ingestion.accepted':
      n.fileName = d.fileName ?? n.fileName;
      n.acceptedAt ??= event.occurredAt;
      break;
    case 'upload.progress':
      running();
      n.uploadRows = Math.max(n.uploadRows, d.rows);
      break;
    case 'upload.completed':
      n.uploadRows = d.rows;
      n.totalRows = d.rows;
      n.done.upload = true;
      if (!TERMINAL.has(n.state)) n.state = 'processing';
      break;
    case 'bronze.progress':
      running();
      n.bronzeRows = Math.max(n.bronzeRows, d.rowsLoaded);
      if (d.totalRows != null) n.totalRows = d.totalRows;
      break;
    case 'bronze.completed':
      n.bronzeRows = d.rows;
      n.totalRows = d.rows;
      n.done.bronze = true;
      break;
    case 'silver.progress':
      running();
      n.validRows = Math.max(n.validRows, d.validRows);
      n.rejectedRows = Math.max(n.rejectedRows, d.rejectedRows);
      if (d.totalRows != null) n.totalRows = d.totalRows;
      break;
    case 'silver.completed':
      n.validRows = d.validRows;
      n.rejectedRows = d.rejectedRows;
      n.done.silver = true;
      break;
    case 'gold.completed':
      n.goldRows = d.trips;
      n.done.gold = true;
      break;
    case 'ingestion.completed':
      n.state = 'completed';
      n.totalRows ??= d.rows;
      n.validRows = d.validRows;
      n.rejectedRows = d.rejectedRows;
      n.durationMs = d.durationMs;
      break;
    case 'ingestion.retracted':
      n.state = 'retracted';
      break;
    case 'ingestion.failed':
      n.state = 'failed';
      n.error = { stage: d.stage, code: d.code, message: d.message };
      break;
  }
  // Gold is written with silver, chunk by chunk: it holds silver's valid rows.
  if (!n.done.gold) n.goldRows = n.validRows;
  return n;
}

/**
 * The four bars of an ingestion: `{ layer, done, total, final }`. While the upload is still arriving
 * the total is the rows in Kafka so far (`final` false).
 */
export function layerBars(p) {
  const final = p.totalRows != null;
  const total = final ? p.totalRows : p.uploadRows || null;
  const bar = (layer, done, t, complete) => ({
    layer,
    done,
    total: complete ? Math.max(done, t ?? 0) : t,
    final: final || complete,
    complete,
  });
  return [
    bar('upload', p.uploadRows, total, p.done.upload),
    bar('bronze', p.bronzeRows, total, p.done.bronze),
    bar('silver', p.validRows + p.rejectedRows, total, p.done.silver),
    bar('gold', p.goldRows, total == null ? null : total - p.rejectedRows, p.done.gold),
  ];
}

/** 0–100 for a bar (a completed layer is full, even with no rows). */
export function percent(bar) {
  if (bar.complete) return 100;
  if (!bar.total) return 0;
  return Math.min(100, Math.floor((bar.done * 100) / bar.total));
}

export const fmt = (n) => Number(n ?? 0).toLocaleString('en-US');

/** How the page names an ingestion: its file name, or a placeholder for a raw upload sent without one. */
export const uploadName = (p) => p.fileName ?? '(unnamed upload)';

/** What a refused API call says: the house error's code and message, else the HTTP status. */
export const apiErrorText = (status, body) =>
  body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${status}`;

export function formatDuration(ms) {
  if (ms == null) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
