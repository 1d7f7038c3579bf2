import fc from 'fast-check';
import { AppError } from '#common';
import { averageOf, parseWeeksMode, WEEKS_MODES } from './averaging.js';

const series = (...trips: number[]) => trips.map((n, i) => ({ weekStart: `w${i}`, trips: n }));

describe('weekly average: period vs active weeks', () => {
  it('period divides by every week, active by the weeks with trips (the sample box: 3 trips in 2 of 5 weeks)', () => {
    const box = series(0, 1, 0, 2, 0);
    expect(averageOf(box, 'period')).toEqual({ weeks: 5, activeWeeks: 2, totalTrips: 3, weeklyAverage: 0.6 });
    expect(averageOf(box, 'active')).toEqual({ weeks: 5, activeWeeks: 2, totalTrips: 3, weeklyAverage: 1.5 });
  });

  it('every week active: both modes agree', () => {
    const prague = series(10, 8, 8, 5, 3);
    expect(averageOf(prague, 'active')).toEqual(averageOf(prague, 'period'));
    expect(averageOf(prague, 'active').weeklyAverage).toBe(6.8);
  });

  it('no trips, or no period: 0, never NaN', () => {
    expect(averageOf(series(0, 0, 0), 'active')).toEqual({ weeks: 3, activeWeeks: 0, totalTrips: 0, weeklyAverage: 0 });
    expect(averageOf(series(0, 0, 0), 'period').weeklyAverage).toBe(0);
    for (const mode of WEEKS_MODES) {
      expect(averageOf([], mode)).toEqual({ weeks: 0, activeWeeks: 0, totalTrips: 0, weeklyAverage: 0 });
    }
  });

  it('holds its invariants for any series', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 300 }), (trips) => {
        const s = series(...trips);
        const period = averageOf(s, 'period');
        const active = averageOf(s, 'active');
        const nonZero = trips.filter((n) => n > 0);
        const total = trips.reduce((a, b) => a + b, 0);
        expect(period.totalTrips).toBe(total);
        expect(active.totalTrips).toBe(total);
        expect(period.weeks).toBe(trips.length);
        expect(active.activeWeeks).toBe(nonZero.length);
        expect(period.activeWeeks).toBe(nonZero.length);
        expect(period.weeklyAverage).toBe(trips.length ? total / trips.length : 0);
        expect(active.weeklyAverage).toBe(nonZero.length ? total / nonZero.length : 0);
        expect(active.weeklyAverage).toBeGreaterThanOrEqual(period.weeklyAverage);
        expect(Number.isFinite(active.weeklyAverage)).toBe(true);
      }),
    );
  });
});

describe('weeks parameter', () => {
  const code = (raw: string) => {
    try {
      parseWeeksMode(raw);
    } catch (e) {
      return e instanceof AppError ? [e.status, e.code] : String(e);
    }
    return undefined;
  };

  it('defaults to period; accepts both modes in any case, with spaces', () => {
    expect(parseWeeksMode(undefined)).toBe('period');
    expect(parseWeeksMode('active')).toBe('active');
    expect(parseWeeksMode(' ACTIVE ')).toBe('active');
    expect(parseWeeksMode('Period')).toBe('period');
  });

  it('refuses anything else with 400 invalid_weeks', () => {
    for (const bad of ['all', 'activ', '5', 'period,active', 'nonzero'])
      expect(code(bad)).toEqual([400, 'invalid_weeks']);
  });
});
