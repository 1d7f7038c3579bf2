import { makeEvent, type IngestionEventDataMap, type IngestionEventType, type SocketIngestionEvent } from '#contracts';
import {
  applyEvent,
  initialProgress,
  isFinished,
  rowsPerSecond,
  type IngestionProgress,
} from './ingestion-progress.js';

const ID = '8f2d1c3e-0000-4000-8000-000000000001';

/** A stream of socket events for one ingestion, numbered 1, 2, 3, … like the notifier does. */
function stream() {
  let seq = 0;
  return <T extends IngestionEventType>(
    type: T,
    data: IngestionEventDataMap[T],
    ingestionId = ID,
  ): SocketIngestionEvent => {
    const e = makeEvent(type, ingestionId, data, ++seq);
    return { seq, eventId: e.eventId, ingestionId, type, layer: e.layer, occurredAt: e.occurredAt, data: e.data };
  };
}

const applyAll = (events: SocketIngestionEvent[], p: IngestionProgress = initialProgress(ID)) =>
  events.reduce(applyEvent, p);

describe('applyEvent: events → bars and summary', () => {
  it('follows a whole ingestion to a completed summary', () => {
    const ev = stream();
    const p = applyAll([
      ev('ingestion.accepted', {
        fileName: 'trips.csv',
        contentType: 'text/csv',
        gzip: false,
        columns: [],
        ignoredColumns: [],
      }),
      ev('upload.progress', { bytes: 1000, rows: 40, chunks: 1 }),
      ev('bronze.progress', { chunksLoaded: 1, rowsLoaded: 40, totalChunks: null, totalRows: null }),
      ev('upload.completed', { bytes: 2500, rows: 100, chunks: 3, sha256: 'x' }),
      ev('silver.progress', { chunksDone: 1, totalChunks: 3, validRows: 38, rejectedRows: 2, totalRows: 100 }),
      ev('bronze.completed', { chunks: 3, rows: 100 }),
      ev('silver.completed', { validRows: 97, rejectedRows: 3 }),
      ev('gold.completed', { trips: 97 }),
      ev('ingestion.completed', { rows: 100, validRows: 97, rejectedRows: 3, durationMs: 2000 }),
    ]);
    expect(p.state).toBe('completed');
    expect(isFinished(p)).toBe(true);
    expect(p.fileName).toBe('trips.csv');
    expect(p.lastSeq).toBe(9);
    expect(p.bronze).toEqual({ done: 100, total: 100, totalFinal: true, completed: true });
    expect(p.silver).toMatchObject({ done: 100, total: 100, valid: 97, rejected: 3, completed: true });
    expect(p.gold).toEqual({ done: 97, total: 97, totalFinal: true, completed: true });
    expect(p.summary).toEqual({ rows: 100, validRows: 97, rejectedRows: 3, durationMs: 2000 });
    expect(rowsPerSecond(p.summary!)).toBe(50);
  });

  it('uses the rows in Kafka so far as a provisional total while the upload is arriving', () => {
    const ev = stream();
    const p = applyAll([
      ev('upload.progress', { bytes: 5000, rows: 200, chunks: 2 }),
      ev('bronze.progress', { chunksLoaded: 1, rowsLoaded: 120, totalChunks: null, totalRows: null }),
      ev('silver.progress', { chunksDone: 1, totalChunks: null, validRows: 100, rejectedRows: 20, totalRows: null }),
    ]);
    expect(p.state).toBe('uploading');
    expect(p.bronze).toEqual({ done: 120, total: 200, totalFinal: false, completed: false });
    expect(p.silver).toMatchObject({ done: 120, total: 200, totalFinal: false });
    // Gold holds silver's valid rows; rejects never reach it.
    expect(p.gold).toEqual({ done: 100, total: 180, totalFinal: false, completed: false });
  });

  it('switches to the final total once the upload completed', () => {
    const ev = stream();
    const p = applyAll([
      ev('upload.progress', { bytes: 5000, rows: 200, chunks: 2 }),
      ev('upload.completed', { bytes: 9000, rows: 350, chunks: 4, sha256: 'x' }),
    ]);
    expect(p.state).toBe('processing');
    expect(p.bronze).toMatchObject({ total: 350, totalFinal: true });
  });

  it('ignores an event already seen (replay overlap, duplicate) and returns the same object', () => {
    const ev = stream();
    const first = ev('upload.progress', { bytes: 10, rows: 1, chunks: 1 });
    const p1 = applyEvent(initialProgress(ID), first);
    expect(applyEvent(p1, first)).toBe(p1);
    expect(applyEvent(p1, { ...first, seq: 0 })).toBe(p1);
  });

  it('ignores events of other ingestions', () => {
    const ev = stream();
    const p = initialProgress(ID);
    expect(
      applyEvent(p, ev('upload.progress', { bytes: 10, rows: 1, chunks: 1 }, '11111111-1111-4111-8111-111111111111')),
    ).toBe(p);
  });

  it('never moves a bar backwards on a late progress event', () => {
    const ev = stream();
    const p = applyAll([
      ev('bronze.progress', { chunksLoaded: 3, rowsLoaded: 300, totalChunks: null, totalRows: null }),
      ev('bronze.progress', { chunksLoaded: 2, rowsLoaded: 200, totalChunks: null, totalRows: null }),
    ]);
    expect(p.bronze.done).toBe(300);
  });

  it('records a failure with its stage, code and message', () => {
    const ev = stream();
    const p = applyAll([
      ev('upload.progress', { bytes: 10, rows: 1, chunks: 1 }),
      ev('ingestion.failed', { stage: 'upload', code: 'bad_gzip', message: 'the gzip data is corrupt' }),
    ]);
    expect(p.state).toBe('failed');
    expect(isFinished(p)).toBe(true);
    expect(p.failure).toEqual({ stage: 'upload', code: 'bad_gzip', message: 'the gzip data is corrupt' });
    expect(p.summary).toBeNull();
  });

  it('computes no rate for a zero duration', () => {
    expect(rowsPerSecond({ rows: 10, validRows: 10, rejectedRows: 0, durationMs: 0 })).toBe(0);
  });
});
