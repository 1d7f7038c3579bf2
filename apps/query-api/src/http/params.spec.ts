import { thrownCode } from '../testing/thrown-code.js';
import { ingestionIdParam, intParam, limitParam, stringParam, timeOfDayParam } from './params.js';

describe('query parameters', () => {
  it('limit: 1..max, default when absent', () => {
    expect(limitParam({}, 50, 1000)).toBe(50);
    expect(limitParam({ limit: '1' }, 50, 1000)).toBe(1);
    expect(limitParam({ limit: '1000' }, 50, 1000)).toBe(1000);
    for (const bad of ['0', '1001', '-1', '1.5', 'ten', '1e3', ' 1 0'])
      expect(thrownCode(() => limitParam({ limit: bad }, 50, 1000))).toBe('400 invalid_limit');
    expect(thrownCode(() => limitParam({ limit: ['1', '2'] }, 50, 1000))).toBe('400 invalid_limit');
  });

  it('a repeated or structured parameter is refused with the given code', () => {
    expect(stringParam({ a: 'x' }, 'a', 'c')).toBe('x');
    expect(stringParam({ a: '' }, 'a', 'c')).toBeUndefined();
    expect(thrownCode(() => stringParam({ a: ['x', 'y'] }, 'a', 'bad_a'))).toBe('400 bad_a');
    expect(thrownCode(() => stringParam({ a: { b: 'x' } }, 'a', 'bad_a'))).toBe('400 bad_a');
    expect(intParam({ n: '3' }, 'n', 'bad_n', 2, 1, 5)).toBe(3);
  });

  it('ingestion ids are UUIDs, normalised to lower case', () => {
    expect(ingestionIdParam('0B7F3A4E-7A55-4C59-9D7F-3C1B2F0F9A11')).toBe('0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11');
    expect(thrownCode(() => ingestionIdParam("1' OR '1'='1"))).toBe('400 invalid_ingestion_id');
  });

  it('timeOfDay is HH:MM within a day', () => {
    expect(timeOfDayParam({ timeOfDay: '00:00' })).toBe(0);
    expect(timeOfDayParam({ timeOfDay: '23:59' })).toBe(1439);
    expect(timeOfDayParam({})).toBeUndefined();
    for (const bad of ['24:00', '7:30', '12:60', 'noon', '12-30'])
      expect(thrownCode(() => timeOfDayParam({ timeOfDay: bad }))).toBe('400 invalid_time_of_day');
  });
});
