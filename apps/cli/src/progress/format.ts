import type { SocketIngestionEvent } from '#contracts';
import { rowsPerSecond, type IngestionProgress, type LayerBar } from './ingestion-progress.js';

const num = (n: number): string => n.toLocaleString('en-US');

export function formatBytes(bytes: number): string {
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

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

const ofTotal = (done: number, total: number | null): string =>
  total === null ? `${num(done)} rows` : `${num(done)}/${num(total)} rows`;

/** One plain line per event (non-TTY output): `<layer> <what happened>`. */
export function describeEvent(event: SocketIngestionEvent): string {
  const d = event.data as unknown as Record<string, unknown>;
  const n = (key: string): number => Number(d[key] ?? 0);
  const nOrNull = (key: string): number | null => (d[key] === null || d[key] === undefined ? null : Number(d[key]));
  let what: string;
  switch (event.type) {
    case 'ingestion.accepted':
      what = `accepted${d.fileName ? ` ${d.fileName as string}` : ''}${d.gzip ? ' (gzip)' : ''}`;
      break;
    case 'upload.progress':
      what = `${formatBytes(n('bytes'))} in Kafka, ${num(n('rows'))} rows, ${num(n('chunks'))} chunks`;
      break;
    case 'upload.completed':
      what = `completed: ${formatBytes(n('bytes'))}, ${num(n('rows'))} rows, ${num(n('chunks'))} chunks`;
      break;
    case 'bronze.progress':
      what = `${ofTotal(n('rowsLoaded'), nOrNull('totalRows'))} loaded`;
      break;
    case 'bronze.completed':
      what = `completed: ${num(n('rows'))} rows in ${num(n('chunks'))} chunks`;
      break;
    case 'silver.progress':
      what = `${ofTotal(n('validRows') + n('rejectedRows'), nOrNull('totalRows'))} typed (${num(n('validRows'))} valid, ${num(n('rejectedRows'))} rejected)`;
      break;
    case 'silver.completed':
      what = `completed: ${num(n('validRows'))} valid, ${num(n('rejectedRows'))} rejected`;
      break;
    case 'gold.completed':
      what = `completed: ${num(n('trips'))} trips grouped and counted`;
      break;
    case 'ingestion.completed':
      what = `completed: ${num(n('rows'))} rows in ${formatDuration(n('durationMs'))}`;
      break;
    case 'ingestion.failed':
      what = `FAILED in ${String(d.stage)}: ${String(d.code)}: ${String(d.message)}`;
      break;
    case 'ingestion.retracted':
      what = `retracted: ${num(n('trips'))} trips no longer counted`;
      break;
    default:
      what = JSON.stringify(event.data);
  }
  return `${event.layer.padEnd(9)} ${what}`;
}

/** The closing block of a finished ingestion. */
export function formatSummary(p: IngestionProgress): string[] {
  if (p.state === 'failed' && p.failure) {
    return [
      `Ingestion ${p.ingestionId} failed`,
      `  stage     ${p.failure.stage}`,
      `  error     ${p.failure.code}: ${p.failure.message}`,
    ];
  }
  if (!p.summary) return [`Ingestion ${p.ingestionId} is ${p.state}`];
  const s = p.summary;
  return [
    `Ingestion ${p.ingestionId} completed`,
    `  rows      ${num(s.rows)}`,
    `  valid     ${num(s.validRows)}`,
    `  rejected  ${num(s.rejectedRows)}`,
    `  duration  ${formatDuration(s.durationMs)}`,
    `  rate      ${num(rowsPerSecond(s))} rows/s`,
  ];
}

/** Percent step (0, 25, 50, …) that `done` of `total` has reached; plain output prints a line per new step. */
export function milestone(done: number, total: number, step = 25): number {
  if (total <= 0) return 100;
  const pct = Math.min(100, Math.floor((done * 100) / total));
  return pct - (pct % step);
}

/**
 * A layer's bar as cli-progress wants it (value of total, never 0 of 0) plus the text beside it. An
 * unknown total keeps the bar empty; a completed layer is full even when it had no rows.
 */
export function barValues(bar: LayerBar): { value: number; total: number; label: string } {
  const label =
    bar.total === null
      ? `${num(bar.done)} rows`
      : `${num(bar.done)}/${num(bar.total)}${bar.totalFinal ? '' : '+'} rows`;
  if (bar.completed) return { value: 1, total: 1, label };
  if (bar.total === null || bar.total <= 0) return { value: 0, total: 1, label };
  return { value: Math.min(bar.done, bar.total), total: bar.total, label };
}
