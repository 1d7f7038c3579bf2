import fc from 'fast-check';
import {
  boxCells,
  cellCount,
  cellGeometry,
  cellKeyOf,
  centreOf,
  centreRange,
  decodeCell,
  gaps,
  innerCellKeys,
  keyRuns,
  CELL_MARGIN,
  type Bbox,
  type KeyRange,
} from './grid.js';

const G = 0.01;
const inRanges = (ranges: KeyRange[], key: number) => ranges.some((r) => key >= r.lo && key <= r.hi);
// The transformer's formula (libs/contracts/src/grid.ts, as the former test/oracle/chunk.sql), in the same floating point.
const storedCell = (lon: number, lat: number, g = G) => cellKeyOf(Math.floor(lon / g), Math.floor(lat / g));

describe('cell keys', () => {
  it('encode and decode cx, cy across the whole globe', () => {
    for (const [cx, cy] of [
      [0, 0],
      [-18000, -9000],
      [18000, 9000],
      [1443, 5007],
      [-863, 4115],
    ]) {
      expect(decodeCell(cellKeyOf(cx, cy))).toEqual({ cx, cy });
    }
  });

  it('grow with cx within a row, so a run of cells is one key range', () => {
    expect(cellKeyOf(11, 5) - cellKeyOf(10, 5)).toBe(1);
    expect(cellKeyOf(-2_000_000, 6)).toBeGreaterThan(cellKeyOf(2_000_000, 5));
  });

  it('match the documented formula (cy + 2^21) * 2^22 + (cx + 2^21)', () => {
    expect(cellKeyOf(1443, 5007)).toBe((5007 + 2 ** 21) * 2 ** 22 + (1443 + 2 ** 21));
  });
});

describe('boxCells', () => {
  it('a street-sized box inside one cell: one edge cell, no inner cell', () => {
    const c = boxCells({ minLon: 14.4312, minLat: 50.0811, maxLon: 14.4331, maxLat: 50.0822 }, G);
    expect(c.inner).toEqual([]);
    expect(c.edge).toEqual([{ lo: cellKeyOf(1443, 5008), hi: cellKeyOf(1443, 5008) }]);
  });

  it('a city box: inner rectangle plus a one-cell ring of edge cells, one range per row and run', () => {
    const c = boxCells({ minLon: 14.305, minLat: 49.995, maxLon: 14.605, maxLat: 50.195 }, G);
    expect(c.innerX).toEqual({ lo: 1431, hi: 1459 });
    expect(c.innerY).toEqual({ lo: 5000, hi: 5018 });
    expect(cellCount(c.inner)).toBe(29 * 19);
    expect(cellCount(c.edge)).toBe(31 * 21 - 29 * 19);
    expect(c.inner).toHaveLength(19);
    expect(c.edge).toHaveLength(2 + 19 * 2);
  });

  it('a box exactly on cell borders: border cells stay edge cells (margin), neighbours are touched', () => {
    const c = boxCells({ minLon: 14.3, minLat: 50.0, maxLon: 14.4, maxLat: 50.1 }, G);
    // 14.30 may be stored in cell 1429 or 1430 depending on rounding: both are looked at.
    expect(c.innerX.lo).toBeGreaterThanOrEqual(1430);
    expect(c.innerX.hi).toBeLessThanOrEqual(1439);
    expect(inRanges(c.edge, cellKeyOf(1429, 5005)) || inRanges(c.edge, cellKeyOf(1430, 5005))).toBe(true);
  });

  it('a degenerate box (a point) touches the cells around it and has no inner cell', () => {
    const c = boxCells({ minLon: 14.43, minLat: 50.08, maxLon: 14.43, maxLat: 50.08 }, G);
    expect(c.inner).toEqual([]);
    expect(cellCount(c.edge)).toBeGreaterThanOrEqual(1);
    expect(cellCount(c.edge)).toBeLessThanOrEqual(4);
  });

  it('the whole world is a few thousand ranges, not millions of cells', () => {
    const c = boxCells({ minLon: -180, minLat: -90, maxLon: 180, maxLat: 90 }, G);
    expect(c.inner.length + c.edge.length).toBeLessThan(3 * 18_002);
  });

  // The property the API's exactness rests on: a point inside the box is stored in an inner or edge
  // cell, and a point stored in an inner cell is inside the box.
  it('every point inside the box is stored in a touched cell; every point of an inner cell is inside', () => {
    const coord = (max: number) =>
      fc.oneof(
        fc.double({ min: -max, max, noNaN: true }),
        fc.integer({ min: -max * 100, max: max * 100 }).map((i) => i / 100),
      );
    const box = fc
      .tuple(
        coord(180),
        coord(90),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
      )
      .map(([lon, lat, w, h]): Bbox => ({
        minLon: lon,
        minLat: lat,
        maxLon: Math.min(180, lon + w),
        maxLat: Math.min(90, lat + h),
      }))
      .filter((b) => b.minLon <= b.maxLon && b.minLat <= b.maxLat);
    fc.assert(
      fc.property(
        box,
        fc.double({ min: -0.05, max: 1.05, noNaN: true }),
        fc.double({ min: -0.05, max: 1.05, noNaN: true }),
        (b, fx, fy) => {
          const lon = b.minLon + fx * (b.maxLon - b.minLon);
          const lat = b.minLat + fy * (b.maxLat - b.minLat);
          const c = boxCells(b, G);
          const key = storedCell(lon, lat);
          const inside = lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat;
          if (inside) expect(inRanges(c.inner, key) || inRanges(c.edge, key)).toBe(true);
          if (inRanges(c.inner, key)) expect(inside).toBe(true);
          expect(inRanges(c.inner, key) && inRanges(c.edge, key)).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('points on and next to an aligned border land where the classification expects', () => {
    const b = { minLon: 7.68, minLat: 45.07, maxLon: 7.7, maxLat: 45.09 };
    const c = boxCells(b, G);
    for (const lon of [7.68, 7.68 - 1e-12, 7.68 + 1e-12, 7.7, 7.7 + 1e-12, 7.7 - 1e-12]) {
      for (const lat of [45.07, 45.08, 45.09]) {
        const key = storedCell(lon, lat);
        const inside = lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat;
        if (inside) expect(inRanges(c.inner, key) || inRanges(c.edge, key)).toBe(true);
        if (inRanges(c.inner, key)) expect(inside).toBe(true);
      }
    }
    expect(CELL_MARGIN).toBeLessThan(1e-6);
  });

  it('a point a hair outside the box that floor(x / g) files in the first inside cell keeps that cell an edge cell', () => {
    const x = -0.030000000000000002; // < -0.03, yet floor(x / 0.01) = -3: the cell whose west edge is -0.03
    expect(x < -0.03 && Math.floor(x / G) === -3).toBe(true);
    const c = boxCells({ minLon: -0.03, minLat: -0.03, maxLon: 0.05, maxLat: 0.05 }, G);
    const key = storedCell(x, 0.01);
    expect(inRanges(c.inner, key)).toBe(false);
    expect(inRanges(c.edge, key)).toBe(true);
  });
});

describe('inner cells and their complement', () => {
  it('list the inner cells one by one, and every other key as ranges around them', () => {
    const c = boxCells({ minLon: 14.305, minLat: 49.995, maxLon: 14.605, maxLat: 50.195 }, G);
    const cells = innerCellKeys(c);
    expect(cells).toHaveLength(29 * 19);
    const outside = gaps(c.inner);
    expect(outside).toHaveLength(19 + 1);
    for (const key of [cells[0], cells[100], cells.at(-1)!]) expect(inRanges(outside, key)).toBe(false);
    for (const key of [
      cellKeyOf(1430, 5005),
      cellKeyOf(1460, 5005),
      cellKeyOf(1440, 4999),
      cellKeyOf(1440, 5019),
      0,
      2 ** 44 - 1,
    ]) {
      expect(inRanges(outside, key)).toBe(true);
    }
    // Inner and outside together cover every key exactly once.
    expect(cellCount(c.inner) + cellCount(outside)).toBe(2 ** 45 + 2);
  });
});

describe('cell geometry and centres', () => {
  it('prints centre and bounds rounded to 9 decimals', () => {
    expect(cellGeometry(cellKeyOf(1443, 5007), G)).toEqual({
      centre: { lon: 14.435, lat: 50.075 },
      bounds: [14.43, 50.07, 14.44, 50.08],
    });
    expect(cellGeometry(cellKeyOf(-863, -1), G)).toEqual({
      centre: { lon: -8.625, lat: -0.005 },
      bounds: [-8.63, -0.01, -8.62, 0],
    });
  });

  it('centreRange selects exactly the indices whose printed centre is in [min, max]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        (min, w) => {
          const max = min + w;
          const r = centreRange(min, max, G);
          for (let i = r.lo - 2; i <= Math.max(r.hi, r.lo) + 2; i++) {
            const c = centreOf(i, G);
            expect(i >= r.lo && i <= r.hi).toBe(c >= min && c <= max);
          }
        },
      ),
      { numRuns: 500 },
    );
    // A box drawn exactly around a printed centre finds it.
    expect(centreRange(14.435, 14.435, G)).toEqual({ lo: 1443, hi: 1443 });
  });
});

describe('key runs and gaps', () => {
  it('merge consecutive keys into runs, and the gaps hold every other key exactly once', () => {
    const runs = keyRuns([3, 4, 5, 9, 11, 12]);
    expect(runs).toEqual([
      { lo: 3, hi: 5 },
      { lo: 9, hi: 9 },
      { lo: 11, hi: 12 },
    ]);
    const outside = gaps(runs);
    for (const key of [3, 4, 5, 9, 11, 12]) expect(inRanges(outside, key)).toBe(false);
    for (const key of [0, 2, 6, 8, 10, 13, 2 ** 44]) expect(inRanges(outside, key)).toBe(true);
    expect(cellCount(runs) + cellCount(outside)).toBe(2 ** 45 + 2);
  });

  it('leave no empty gap between adjacent runs', () => {
    expect(
      gaps([
        { lo: 0, hi: 1 },
        { lo: 2, hi: 3 },
      ]),
    ).toEqual([
      { lo: -1, hi: -1 },
      { lo: 4, hi: 2 ** 45 },
    ]);
  });
});
