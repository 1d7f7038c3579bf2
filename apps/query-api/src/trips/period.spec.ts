import { AppError } from '#common';
import { formatDate, parseDate, periodEnd, resolvePeriod, weekCount, weekStart, weeksOf, MAX_WEEKS } from './period.js';

const d = (s: string) => parseDate(s)!;
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
  return undefined;
};

describe('ISO weeks', () => {
  it('starts weeks on Monday, as date_trunc(week) does', () => {
    expect(formatDate(weekStart(d('2018-05-28')))).toBe('2018-05-28'); // a Monday
    expect(formatDate(weekStart(d('2018-06-03')))).toBe('2018-05-28'); // Sunday → its Monday
    expect(formatDate(weekStart(d('2018-05-01')))).toBe('2018-04-30');
    expect(formatDate(weekStart(d('2021-01-01')))).toBe('2020-12-28'); // ISO week 53 of 2020
  });

  it('parses strict calendar dates only', () => {
    expect(parseDate('2018-02-28')).toBe(Date.UTC(2018, 1, 28));
    expect(parseDate('2020-02-29')).toBeDefined();
    for (const bad of [
      '2018-02-30',
      '2019-02-29',
      '2018-13-01',
      '2018-5-1',
      '18-05-01',
      '2018-05-01T00:00',
      '',
      '0000-01-01',
      'x',
    ]) {
      expect(parseDate(bad)).toBeUndefined();
    }
  });
});

describe('resolvePeriod', () => {
  const data = { firstWeek: d('2018-04-30'), lastWeek: d('2018-05-28') };

  it('defaults to the weeks of the data', () => {
    const p = resolvePeriod(undefined, undefined, data)!;
    expect(weekCount(p)).toBe(5);
    expect(weeksOf(p)).toEqual(['2018-04-30', '2018-05-07', '2018-05-14', '2018-05-21', '2018-05-28']);
    expect(periodEnd(p)).toBe('2018-06-03');
  });

  it('rounds from/to out to whole ISO weeks', () => {
    const p = resolvePeriod('2018-05-10', '2018-05-15', data)!;
    expect(weeksOf(p)).toEqual(['2018-05-07', '2018-05-14']);
    expect(weekCount(resolvePeriod('2018-05-14', '2018-05-14', data)!)).toBe(1);
  });

  it('fills a missing bound from the data, never crossing the given one', () => {
    expect(weeksOf(resolvePeriod('2018-05-20', undefined, data)!)).toEqual(['2018-05-14', '2018-05-21', '2018-05-28']);
    expect(weeksOf(resolvePeriod(undefined, '2018-05-08', data)!)).toEqual(['2018-04-30', '2018-05-07']);
    expect(weeksOf(resolvePeriod('2019-01-01', undefined, data)!)).toEqual(['2018-12-31']);
    expect(weeksOf(resolvePeriod(undefined, '2017-01-01', data)!)).toEqual(['2016-12-26']);
    expect(weeksOf(resolvePeriod('2018-05-20', undefined, undefined)!)).toEqual(['2018-05-14']);
  });

  it('no data and no bounds: no period', () => {
    expect(resolvePeriod(undefined, undefined, undefined)).toBeUndefined();
  });

  it('rejects bad dates, from after to, and absurdly long periods with invalid_date', () => {
    expect(code(() => resolvePeriod('2018-02-30', undefined, data))).toBe('invalid_date');
    expect(code(() => resolvePeriod(undefined, 'yesterday', data))).toBe('invalid_date');
    expect(code(() => resolvePeriod('2018-05-10', '2018-05-09', data))).toBe('invalid_date');
    expect(code(() => resolvePeriod('0001-01-01', '9999-12-31', data))).toBe('invalid_date');
    expect(weekCount(resolvePeriod('1900-01-01', '2099-12-31', data)!)).toBeLessThanOrEqual(MAX_WEEKS);
  });
});
