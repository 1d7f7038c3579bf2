import { applyEvent, blank, fromSnapshot, SETTLED } from '../public/js/progress.js';

const ID = '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11';
const event = (seq: number, type: string, data: Record<string, unknown> = {}) => ({ ingestionId: ID, seq, type, data });
const completed = () =>
  applyEvent(blank(ID), event(8, 'ingestion.completed', { rows: 40, validRows: 10, rejectedRows: 30, durationMs: 5 }));

describe("the dashboard's ingestion model: retraction states", () => {
  it('ingestion.retracted moves a completed ingestion to retracted, once', () => {
    const p = applyEvent(completed(), event(9, 'ingestion.retracted', { trips: 10 }));
    expect(p.state).toBe('retracted');
    expect(SETTLED.has(p.state)).toBe(true);
    // A replay of an older event changes nothing.
    expect(applyEvent(p, event(8, 'ingestion.completed', { rows: 40, validRows: 10, rejectedRows: 30 }))).toBe(p);
  });

  it('a snapshot moves a completed ingestion on to retracting or retracted, never back', () => {
    expect(fromSnapshot({ ingestionId: ID, state: 'retracting' }, completed()).state).toBe('retracting');
    expect(fromSnapshot({ ingestionId: ID, state: 'retracted' }, completed()).state).toBe('retracted');
    const retracted = fromSnapshot({ ingestionId: ID, state: 'retracted' }, completed());
    // A snapshot read before the retraction (an older list) does not undo it.
    expect(fromSnapshot({ ingestionId: ID, state: 'completed' }, retracted).state).toBe('retracted');
    expect(fromSnapshot({ ingestionId: ID, state: 'retracting' }, retracted).state).toBe('retracted');
    // Before completion a snapshot still says how far it got; after it, only a retraction moves it.
    expect(fromSnapshot({ ingestionId: ID, state: 'processing' }, blank(ID)).state).toBe('processing');
    expect(fromSnapshot({ ingestionId: ID, state: 'processing' }, completed()).state).toBe('completed');
  });

  it('keeps the file name the API gives', () => {
    expect(fromSnapshot({ ingestionId: ID, state: 'completed', fileName: 'rejects — ü.csv' }).fileName).toBe(
      'rejects — ü.csv',
    );
    expect(fromSnapshot({ ingestionId: ID, state: 'completed', fileName: null }).fileName).toBeNull();
  });
});
