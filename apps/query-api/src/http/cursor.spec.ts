import { thrownCode } from '../testing/thrown-code.js';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('page cursors', () => {
  it('round-trip the sort key through an opaque base64url string', () => {
    const key = [12, 3, 8818505286646, 8818530452475, 7];
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['posint', 'posint', 'posint', 'posint', 'posint'])).toEqual(key);
    expect(decodeCursor(encodeCursor(['2024-05-02T10:15:30.123456Z', 4]), ['timestamp', 'posint'])).toEqual([
      '2024-05-02T10:15:30.123456Z',
      4,
    ]);
    expect(decodeCursor(undefined, ['posint'])).toBeUndefined();
  });

  it.each([
    ['not base64', '%%%'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong length', encodeCursor([1, 2])],
    ['wrong type', encodeCursor(['1'])],
    ['negative', encodeCursor([-1])],
    ['fraction', encodeCursor([1.5])],
    ['injection', Buffer.from("[1]'; DROP TABLE gold.trip_groups; --").toString('base64url')],
    ['object', encodeCursor([{ toString: 1 } as unknown as number])],
  ])('%s → 400 invalid_cursor', (_what, cursor) => {
    expect(thrownCode(() => decodeCursor(cursor, ['posint']))).toBe('400 invalid_cursor');
  });

  it('checks that ids and buckets fit their columns', () => {
    const shape = ['int4', 'int2'] as const;
    expect(decodeCursor(encodeCursor([2_147_483_647, 32_767]), shape)).toEqual([2_147_483_647, 32_767]);
    expect(thrownCode(() => decodeCursor(encodeCursor([2_147_483_648, 1]), shape))).toBe('400 invalid_cursor');
    expect(thrownCode(() => decodeCursor(encodeCursor([1, 32_768]), shape))).toBe('400 invalid_cursor');
    expect(thrownCode(() => decodeCursor(encodeCursor([-1, 1]), shape))).toBe('400 invalid_cursor');
  });

  it('checks timestamps', () => {
    expect(thrownCode(() => decodeCursor(encodeCursor(["2024-05-02'; --", 1]), ['timestamp', 'posint']))).toBe(
      '400 invalid_cursor',
    );
    expect(
      thrownCode(() => decodeCursor(encodeCursor(['2024-13-02T10:15:30.123456Z', 1]), ['timestamp', 'posint'])),
    ).toBe('400 invalid_cursor');
  });
});
