import fc from 'fast-check';
import { CHAR_PX, degreeLabel, degreeTicks, overlaps, placeAvgLabel, unzoom, zoomAt } from '../public/js/geo.js';

const need = (label: string) => label.length * CHAR_PX + 9;

describe('degreeTicks: map axis labels never run into each other', () => {
  it('prints each value with the decimals its step needs', () => {
    expect(degreeLabel(8.55, 0.05)).toBe('8.55°');
    expect(degreeLabel(8.6000000001, 0.05)).toBe('8.6°');
    expect(degreeLabel(-0, 1)).toBe('0°');
    expect(degreeLabel(14.4, 0.2)).toBe('14.4°');
    expect(degreeLabel(10, 5)).toBe('10°');
  });

  it('thins 8.55° 8.6° … on a narrow axis to a step whose labels fit', () => {
    const ticks = degreeTicks(8.5, 9.0, 120, need);
    const step = ticks[1].value - ticks[0].value;
    expect(step * (120 / 0.5)).toBeGreaterThanOrEqual(Math.max(...ticks.map((t) => need(t.label))));
    expect(step).toBeGreaterThan(0.05);
  });

  it('keeps one tick on a range too narrow for two labels, even where no coarser step falls in it', () => {
    // (a counterexample fast-check once found: every step coarser than 0.01 skips -129.44..-129.42)
    const ticks = degreeTicks(-129.44, -129.42, 40, need);
    expect(ticks).toHaveLength(1);
    expect(ticks[0].value).toBeGreaterThanOrEqual(-129.44 - 1e-9);
    expect(ticks[0].value).toBeLessThanOrEqual(-129.42 + 1e-9);
  });

  it('for any range and width: labels fit between neighbours, inside the range, on a 1-2-5 step', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.double({ min: 1e-4, max: 180, noNaN: true }),
        fc.integer({ min: 40, max: 2000 }),
        (min, span, pixels) => {
          const max = min + span;
          const ticks = degreeTicks(min, max, pixels, need);
          expect(ticks.length).toBeGreaterThan(0);
          for (const t of ticks) {
            expect(t.value).toBeGreaterThanOrEqual(min - 1e-9);
            expect(t.value).toBeLessThanOrEqual(max + 1e-9);
          }
          if (ticks.length < 2) return;
          const step = ticks[1].value - ticks[0].value;
          const mantissa = Number((step / 10 ** Math.floor(Math.log10(step) + 1e-9)).toPrecision(6));
          expect([1, 2, 5]).toContain(mantissa);
          // Screen x of each label's start and end: none reaches the next one's start.
          const x = (v: number) => ((v - min) * pixels) / span;
          for (let i = 1; i < ticks.length; i++) {
            expect(x(ticks[i - 1].value) + need(ticks[i - 1].label)).toBeLessThanOrEqual(x(ticks[i].value) + 1e-6);
          }
          expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
        },
      ),
    );
  });
});

describe('placeAvgLabel: the average label stays clear of the bars', () => {
  const plot = { x0: 40, y0: 16, x1: 596, y1: 196 };
  const barsOf = (tops: number[]) =>
    tops.map((top, i) => ({ x0: 40 + i * 111 + 10, x1: 40 + i * 111 + 101, y0: top, y1: 196 }));

  it('sits at the right just above the line when that is free', () => {
    const box = placeAvgLabel({ lineY: 100, width: 80, height: 12, bars: barsOf([30, 60, 120, 150, 170]), plot });
    expect(box).toEqual({ x0: 516, y0: 85, x1: 596, y1: 97 });
  });

  it('moves below the line, or left, when a bar is in the way', () => {
    // The last bar reaches above the line: the label moves left to a lower bar.
    const box = placeAvgLabel({ lineY: 100, width: 80, height: 12, bars: barsOf([30, 60, 150, 150, 40]), plot });
    expect(box.x1).toBeLessThan(596);
    for (const b of barsOf([30, 60, 150, 150, 40])) expect(overlaps(box, b)).toBe(false);
  });

  it('falls back to the band above the plot when every place beside the line touches a bar', () => {
    const bars = [{ x0: 40, x1: 596, y0: 20, y1: 196 }];
    expect(placeAvgLabel({ lineY: 60, width: 80, height: 12, bars, plot })).toEqual({
      x0: 516,
      y0: 3,
      x1: 596,
      y1: 15,
    });
  });

  it('never overlaps a bar, for any bars and average', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 16, max: 196 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 16, max: 196 }),
        (tops, lineY) => {
          const slot = (plot.x1 - plot.x0) / tops.length;
          const bars = tops.map((top, i) => ({
            x0: plot.x0 + i * slot + slot * 0.1,
            x1: plot.x0 + i * slot + slot * 0.9,
            y0: top,
            y1: plot.y1,
          }));
          const box = placeAvgLabel({ lineY, width: 90, height: 12, bars, plot });
          for (const b of bars) expect(overlaps(box, b)).toBe(false);
          expect(box.y0).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('zoomAt / unzoom: the point under the cursor stays put', () => {
  it('keeps the base point under (px, py) when zooming in and out, within the limits', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 50, noNaN: true }),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 600, noNaN: true }),
        fc.double({ min: 0, max: 360, noNaN: true }),
        (k, factor, px, py) => {
          const view = { k, x: 13, y: -7 };
          const before = unzoom(view, px, py);
          const after = unzoom(zoomAt(view, factor, px, py), px, py);
          expect(after.x).toBeCloseTo(before.x, 6);
          expect(after.y).toBeCloseTo(before.y, 6);
        },
      ),
    );
    expect(zoomAt({ k: 200, x: 0, y: 0 }, 4, 0, 0).k).toBe(256);
    expect(zoomAt({ k: 0.2, x: 0, y: 0 }, 0.1, 0, 0).k).toBe(1 / 8);
  });
});
