import fc from 'fast-check';
import {
  bar,
  chartStyle,
  describeFilter,
  formatAverage,
  formatWeeklyChart,
  parseWeeklyAnswer,
  PLAIN_STYLE,
  type WeeklyAnswer,
} from './weekly-chart.js';

/** The sample's box of issue #13 (3 trips, both ends inside, in 2 of the 5 weeks). */
const BOX: WeeklyAnswer = {
  filter: { bbox: [7.5415091, 45.091605, 10.0588964, 53.4948642], match: 'both' },
  from: '2018-04-30',
  to: '2018-06-03',
  weeksMode: 'active',
  weeks: 5,
  activeWeeks: 2,
  totalTrips: 3,
  weeklyAverage: 1.5,
  series: [
    { weekStart: '2018-04-30', trips: 2 },
    { weekStart: '2018-05-07', trips: 0 },
    { weekStart: '2018-05-14', trips: 0 },
    { weekStart: '2018-05-21', trips: 1 },
    { weekStart: '2018-05-28', trips: 0 },
  ],
};

const weeksFrom = (trips: number[]) =>
  trips.map((n, i) => ({ weekStart: new Date(Date.UTC(2018, 0, 1 + 7 * i)).toISOString().slice(0, 10), trips: n }));
const answer = (trips: number[], weeksMode = 'period'): WeeklyAnswer => {
  const totalTrips = trips.reduce((a, b) => a + b, 0);
  const activeWeeks = trips.filter((n) => n > 0).length;
  return {
    filter: { region: 'Prague' },
    from: trips.length ? '2018-01-01' : null,
    to: trips.length ? '2018-12-30' : null,
    weeksMode,
    weeks: trips.length,
    activeWeeks,
    totalTrips,
    weeklyAverage: trips.length ? totalTrips / trips.length : 0,
    series: weeksFrom(trips),
  };
};
const ESC = String.fromCharCode(27);

describe('trips weekly: bar chart', () => {
  it('prints the sample box: title, one line per week (bar scaled to the largest week), the average with its weeks', () => {
    expect(formatWeeklyChart(BOX, { columns: 40, unicode: false, color: false })).toEqual([
      'Trips per week, bbox 7.5415091,45.091605,10.0588964,53.4948642 (match both), 2018-04-30 - 2018-06-03 (5 weeks)',
      '2018-04-30 | ######################### 2',
      '2018-05-07 |                           0',
      '2018-05-14 |                           0',
      '2018-05-21 | #############             1',
      '2018-05-28 |                           0',
      'average 1.50 trips/week = 3 trips / 2 weeks with trips (of 5 in the period)',
    ]);
    expect(formatAverage({ ...BOX, weeksMode: 'period', weeklyAverage: 0.6 })).toBe(
      'average 0.60 trips/week = 3 trips ÷ 5 weeks of the period (2 with trips)',
    );
  });

  it('a terminal gets unicode blocks in eighths and coloured bars; plain output stays ASCII without escapes', () => {
    const tty = formatWeeklyChart(BOX, { columns: 40, unicode: true, color: true });
    // 40 columns leave a bar of 25 cells: 2 trips fill them, 1 trip takes 12.5 (12 cells and a half block).
    expect(tty[1]).toBe(`2018-04-30 │ ${ESC}[36m${'█'.repeat(25)}${ESC}[0m 2`);
    expect(tty[4]).toBe(`2018-05-21 │ ${ESC}[36m${'█'.repeat(12)}▌${ESC}[0m${' '.repeat(13)}1`);
    expect(tty[2]).toBe(`2018-05-07 │ ${' '.repeat(26)}0`);
    expect(tty[6]).toContain('÷');
    expect(bar(1, 3, 10, true)).toBe('███▍'); // 10/3 cells = 26.7 eighths → 27 = 3 cells and 3 eighths
    for (const line of formatWeeklyChart(answer([5, 0, 123_456, 7]))) expect(line).toMatch(/^[\x20-\x7e]*$/);
  });

  it('a week with trips always shows a mark, an empty week none; the largest fills the width', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 2_000_000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 20, max: 200 }),
        fc.boolean(),
        (trips, columns, unicode) => {
          const lines = formatWeeklyChart(answer(trips), { columns, unicode, color: false });
          expect(lines).toHaveLength(trips.length + 2);
          const max = Math.max(...trips);
          const cells = trips.map((_, i) => lines[i + 1].slice(13).replace(/[\s\d,]+$/, ''));
          trips.forEach((n, i) => {
            expect(lines[i + 1].startsWith(`${weeksFrom(trips)[i].weekStart} `)).toBe(true);
            expect(lines[i + 1].endsWith(` ${n.toLocaleString('en-US')}`)).toBe(true);
            expect(cells[i].length > 0).toBe(n > 0);
          });
          // Same line length for every week (counts right-aligned), and never wider than asked unless at the minimum bar.
          const lengths = new Set(lines.slice(1, -1).map((l) => [...l].length));
          expect(lengths.size).toBe(1);
          expect([...lengths][0]).toBeLessThanOrEqual(
            Math.max(columns, 10 + 3 + 10 + 1 + max.toLocaleString('en-US').length),
          );
          if (max > 0) {
            const longest = Math.max(...cells.map((c) => [...c].length));
            expect([...cells[trips.indexOf(max)]].length).toBe(longest);
          }
        },
      ),
    );
  });

  it('style: unicode, colour and the width only on a terminal; NO_COLOR turns colour off', () => {
    expect(chartStyle({ isTTY: true, columns: 120 }, {})).toEqual({ columns: 120, unicode: true, color: true });
    expect(chartStyle({ isTTY: true, columns: 120 }, { NO_COLOR: '1' })).toEqual({
      columns: 120,
      unicode: true,
      color: false,
    });
    expect(chartStyle({ isTTY: true }, {}).columns).toBe(80);
    expect(chartStyle({ isTTY: false, columns: 120 }, {})).toEqual(PLAIN_STYLE);
    expect(chartStyle({}, {})).toEqual({ columns: 80, unicode: false, color: false });
  });

  it('bars are proportional to the counts', () => {
    expect(bar(50, 100, 40, false)).toHaveLength(20);
    expect(bar(100, 100, 40, false)).toHaveLength(40);
    expect(bar(1, 1_000_000, 40, false)).toBe('#');
    expect(bar(1, 1_000_000, 40, true)).toBe('▏');
    expect(bar(0, 100, 40, true)).toBe('');
    expect(bar(0, 0, 40, false)).toBe('');
  });

  it('no week with trips: empty bars, zero counts, average 0', () => {
    const lines = formatWeeklyChart(answer([0, 0, 0], 'active'), PLAIN_STYLE);
    // 80 columns: a bar of 65 cells, then a space and the count.
    expect(lines.slice(1, 4)).toEqual(
      ['2018-01-01', '2018-01-08', '2018-01-15'].map((week) => `${week} | ${' '.repeat(66)}0`),
    );
    expect(lines[4]).toBe('average 0.00 trips/week = 0 trips / 0 weeks with trips (of 3 in the period)');
  });

  it('no period at all (nothing ingested): says so instead of a chart', () => {
    expect(formatWeeklyChart(answer([]))).toEqual([
      'Trips per week, region Prague',
      'no weeks: nothing is ingested yet and no --from/--to was given',
      'average 0.00 trips/week = 0 trips / 0 weeks of the period (0 with trips)',
    ]);
  });

  it('many weeks: one line each, in order, counts aligned', () => {
    const trips = Array.from({ length: 520 }, (_, i) => (i * 7919) % 1000);
    const lines = formatWeeklyChart(answer(trips), { columns: 100, unicode: true, color: false });
    expect(lines).toHaveLength(522);
    expect(lines[1].startsWith('2018-01-01 │ ')).toBe(true);
    expect(lines[520].startsWith('2027-12-13 │ ')).toBe(true);
    expect(new Set(lines.slice(1, -1).map((l) => [...l].length)).size).toBe(1);
  });

  it('describes the filter as the API echoed it', () => {
    expect(describeFilter({ region: 'Prague', datasource: 'cheap_mobile' })).toBe(
      'region Prague, datasource cheap_mobile',
    );
    expect(describeFilter({ bbox: [14.4, 50, 14.5, 50.1], match: 'any' })).toBe('bbox 14.4,50,14.5,50.1 (match any)');
  });

  it('reads an answer, tolerates an older query-api without weeksMode/activeWeeks, refuses anything else', () => {
    expect(parseWeeklyAnswer(JSON.parse(JSON.stringify(BOX)))).toEqual(BOX);
    const { weeksMode: _m, activeWeeks: _a, ...old } = answer([1, 0, 2]);
    const parsed = parseWeeklyAnswer(old)!;
    expect([parsed.weeksMode, parsed.activeWeeks]).toEqual(['period', null]);
    expect(formatAverage(parsed)).toBe('average 1.00 trips/week = 3 trips ÷ 3 weeks of the period');
    for (const bad of [null, 'x', [], {}, { ...BOX, series: [{ weekStart: 1, trips: 2 }] }, { ...BOX, weeks: -1 }]) {
      expect(parseWeeklyAnswer(bad)).toBeUndefined();
    }
  });
});
