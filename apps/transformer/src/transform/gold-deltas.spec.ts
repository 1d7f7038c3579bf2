import fc from 'fast-check';
import { packedWeek, packedWeekId, packWeek, weekStartDay } from './gold-deltas.js';

const DAY = 86_400;
/** Seconds since 2000-01-01 of a UTC date (wall-clock times are handled as UTC here). */
const secondsOf = (d: Date) => (d.getTime() - Date.UTC(2000, 0, 1)) / 1000;
// (Date.UTC maps years 0–99 to 1900–1999; ISO strings and millisecond offsets do not.)

describe('weekStartDay', () => {
  it('is the Monday of the ISO week, as days since 2000-01-01 (= date_trunc(week)), for years 1 to 9999', () => {
    fc.assert(
      fc.property(
        fc.integer({
          min: secondsOf(new Date('0001-01-01T00:00:00Z')),
          max: secondsOf(new Date('9999-12-31T23:59:59Z')),
        }),
        (s) => {
          const date = new Date(Date.UTC(2000, 0, 1) + s * 1000);
          const back = (date.getUTCDay() + 6) % 7; // days since Monday, from the calendar of Date
          const day = Math.floor(s / DAY);
          expect(weekStartDay(s)).toBe(day - back);
        },
      ),
      { numRuns: 20_000 },
    );
    expect(weekStartDay(0)).toBe(-5); // Saturday 2000-01-01 → Monday 1999-12-27
    expect(weekStartDay(2 * DAY)).toBe(2); // Monday 2000-01-03
    expect(weekStartDay(9 * DAY - 1)).toBe(2); // Sunday 2000-01-09 23:59:59
  });
});

describe('packWeek', () => {
  it('keeps any datasource id below 2^31 and any week of the years 1 to 9999 exactly, and apart', () => {
    const week = fc
      .integer({ min: secondsOf(new Date('0001-01-01T00:00:00Z')), max: secondsOf(new Date('9999-12-31T23:59:59Z')) })
      .map(weekStartDay);
    const id = fc.oneof(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.constantFrom(1, 32_767, 32_768, 65_536, 2 ** 31 - 1),
    );
    fc.assert(
      fc.property(id, week, id, week, (a, wa, b, wb) => {
        const v = packWeek(a, wa);
        expect(Number.isSafeInteger(v)).toBe(true);
        expect([packedWeekId(v), packedWeek(v)]).toEqual([a, wa]);
        expect(packWeek(b, wb) === v).toBe(a === b && wa === wb);
      }),
      { numRuns: 5_000 },
    );
  });
});
