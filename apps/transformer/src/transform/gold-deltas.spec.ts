import fc from 'fast-check';
import { REQUIRED_COLUMNS } from '#contracts';
import { parseTrips } from '#csv';
import { GoldDeltas, packedWeek, packedWeekId, packWeek, weekStartDay, type GoldShape } from './gold-deltas.js';

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

describe('GoldDeltas sized by a shape', () => {
  // 5,000 trips over few cells, buckets and days: some keys repeat in every table, most pairs do not.
  const csv = Array.from({ length: 5_000 }, (_, i) => {
    const o = `POINT (${(7.6 + (i % 37) * 0.011).toFixed(6)} ${(45.0 + (i % 11) * 0.013).toFixed(6)})`;
    const d = `POINT (${(7.5 + (i % 53) * 0.007).toFixed(6)} ${(45.1 + (i % 7) * 0.017).toFixed(6)})`;
    const day = String(1 + (i % 28)).padStart(2, '0');
    return `Turin,${o},${d},2018-05-${day} ${String(i % 24).padStart(2, '0')}:00:00,ds_${i % 3}`;
  }).join('\n');
  const parsed = parseTrips(Buffer.from(`${csv}\n`), 2, REQUIRED_COLUMNS, { cellDegrees: 0.01, bucketMinutes: 30 });
  const aggregate = (shape?: GoldShape) => {
    const deltas = new GoldDeltas(parsed.trips.length, shape);
    deltas.add(parsed.trips, [1], [1, 2, 3]);
    return deltas;
  };
  const copies = (deltas: GoldDeltas) =>
    deltas.tables().map((t) => Buffer.concat([...t.pieces(7, 1_000)]).toString('hex'));

  it('holds the same rows whether its tables start too small (and grow) or large', () => {
    const tiny = { originCells: 0.0001, destinationCells: 0.0001, odCells: 0.0001, tripGroups: 0.0001 };
    expect(copies(aggregate(tiny))).toEqual(copies(aggregate()));
  });

  it('learns the entries per trip of each table', () => {
    const deltas = aggregate();
    const shape = deltas.shape();
    expect(deltas.trips).toBe(5_000);
    for (const perTrip of Object.values(shape)) {
      expect(perTrip).toBeGreaterThan(0);
      expect(perTrip).toBeLessThanOrEqual(1);
    }
    // An end's cell-week is shared by more trips than an origin–destination pair-week.
    expect(shape.originCells).toBeLessThan(shape.odCells);
    expect(copies(aggregate(shape))).toEqual(copies(aggregate()));
  });
});
