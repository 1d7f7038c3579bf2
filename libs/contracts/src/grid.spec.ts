import { assertGridFits, cellKey, decodeCell, subRow, todBucket } from './grid.js';

describe('grid', () => {
  it('keys a point by (lat row, lon column) and decodes back, for negative coordinates too', () => {
    const key = cellKey(14.4973, 50.0013, 0.01);
    expect(decodeCell(key)).toEqual({ cx: 1449, cy: 5000 });
    expect(decodeCell(cellKey(-73.5712, -33.4501, 0.01))).toEqual({ cx: -7358, cy: -3346 });
  });

  it('does not confuse longitude and latitude', () => {
    expect(cellKey(10, 50, 1)).not.toBe(cellKey(50, 10, 1));
  });

  it('puts the extremes of the globe in distinct, non-negative keys', () => {
    const keys = [
      cellKey(-180, -90, 0.0001),
      cellKey(180, 90, 0.0001),
      cellKey(180, -90, 0.0001),
      cellKey(-180, 90, 0.0001),
    ];
    expect(new Set(keys).size).toBe(4);
    for (const k of keys) expect(k).toBeGreaterThanOrEqual(0);
    expect(Math.max(...keys)).toBeLessThan(2 ** 44);
  });

  it('buckets the time of day', () => {
    expect(todBucket(0, 0, 0, 30)).toBe(0);
    expect(todBucket(9, 3, 40, 30)).toBe(18);
    expect(todBucket(9, 29, 59, 30)).toBe(18);
    expect(todBucket(9, 30, 0, 30)).toBe(19);
    expect(todBucket(23, 59, 59, 30)).toBe(47);
    expect(todBucket(23, 59, 59, 1440)).toBe(0);
  });

  it('refuses a cell size too small for the key layout', () => {
    expect(() => assertGridFits(0.01)).not.toThrow();
    expect(() => assertGridFits(0.0001)).not.toThrow();
    expect(() => assertGridFits(0.00005)).toThrow(/too small/);
  });

  it('cuts a cell into 10 rows of latitude, south to north, for negative latitudes too', () => {
    expect(subRow(50.0, 0.01)).toBe(0);
    expect(subRow(50.0055, 0.01)).toBe(5);
    expect(subRow(50.0099, 0.01)).toBe(9);
    expect(subRow(-0.0001, 0.01)).toBe(9); // cell -1 spans [-0.01, 0): -0.0001 is in its northmost row
    expect(subRow(-0.0099, 0.01)).toBe(0);
    expect(subRow(0, 0.01)).toBe(0);
    expect(subRow(-0, 0.01)).toBe(0);
    expect(subRow(90, 0.01)).toBe(0);
  });

  it('clamps the sub-row to 0..9 whatever the float rounding does at a cell border', () => {
    const bad: number[] = [];
    for (let i = -9000; i <= 9000; i++) {
      const lat = i / 100 + 1e-12;
      const s = subRow(lat, 0.01);
      if (!(Number.isInteger(s) && s >= 0 && s <= 9)) bad.push(lat);
    }
    expect(bad).toEqual([]);
  });
});
