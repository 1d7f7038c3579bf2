import { EventPositions } from './event-positions.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

describe('EventPositions: resume from the last seq, drop duplicates', () => {
  it('accepts each seq once per ingestion and remembers the last', () => {
    const p = new EventPositions();
    expect([1, 2, 2, 1, 3].map((seq) => p.accept({ ingestionId: A, seq }))).toEqual([true, true, false, false, true]);
    expect(p.get(A)).toBe(3);
    expect(p.accept({ ingestionId: B, seq: 1 })).toBe(true);
    expect(p.get(B)).toBe(1);
  });

  it('resumes after a replay that overlaps what was seen (a re-subscription around a reconnect)', () => {
    const p = new EventPositions();
    for (const seq of [1, 2, 3]) p.accept({ ingestionId: A, seq });
    const replayed = [2, 3, 4, 5].filter((seq) => p.accept({ ingestionId: A, seq }));
    expect(replayed).toEqual([4, 5]);
  });

  it('is case-insensitive on ids and never moves backwards', () => {
    const p = new EventPositions();
    p.advance(A.toUpperCase(), 7);
    p.advance(A, 3);
    expect(p.get(A)).toBe(7);
    expect(p.accept({ ingestionId: A, seq: 7 })).toBe(false);
  });
});
