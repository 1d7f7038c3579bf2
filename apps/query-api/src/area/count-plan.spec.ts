import fc from 'fast-check';
import { cellKey, decodeCell, subRow } from '#contracts';
import type { MatchMode } from './area.js';
import { isHuge, planCount, shardOf, type CountPart, type CountPlan, type End } from './count-plan.js';
import { boxCells, cellCount, occupiedEdge, type Bbox } from './grid.js';

/** A trip as silver stores it, reduced to what a box count reads: its two ends. */
interface Trip {
  origin: [lon: number, lat: number];
  destination: [lon: number, lat: number];
}

const inBox = (b: Bbox, [lon, lat]: [number, number]) =>
  lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat;

/** What the API promises: trips whose origin / destination / both / either end lies in the box. */
function bruteForce(trips: Trip[], box: Bbox, match: MatchMode): number {
  const test = {
    origin: (t: Trip) => inBox(box, t.origin),
    destination: (t: Trip) => inBox(box, t.destination),
    both: (t: Trip) => inBox(box, t.origin) && inBox(box, t.destination),
    any: (t: Trip) => inBox(box, t.origin) || inBox(box, t.destination),
  }[match];
  return trips.filter(test).length;
}

/**
 * A plan evaluated in memory, part by part, as its SQL counts (trips/count-sql.ts): gold parts by
 * the cells of the trips' ends, trip parts by cell, sub-row, longitude slice and the exact tests.
 */
function evaluate(plan: CountPlan, trips: Trip[], g: number): number {
  const cell = (p: [number, number]) => cellKey(p[0], p[1], g);
  const inRanges = (key: number, ranges: { lo: number; hi: number }[]) =>
    ranges.some((r) => key >= r.lo && key <= r.hi);
  const { innerX, innerY } = plan.cells;
  const inInner = (key: number) => {
    const { cx, cy } = decodeCell(key);
    return cx >= innerX.lo && cx <= innerX.hi && cy >= innerY.lo && cy <= innerY.hi;
  };
  const inRegion = (key: number) => (plan.cells.inner.length > 0 && inInner(key)) || plan.regionEdgeCells.includes(key);
  const counts = (part: CountPart, t: Trip): boolean => {
    switch (part.kind) {
      case 'endRanges':
        return inRanges(cell(t[part.end]), part.ranges);
      case 'endCells':
        return part.cells.includes(cell(t[part.end]));
      case 'pairsToInner':
        return inRanges(cell(t.origin), part.ranges) && inInner(cell(t.destination));
      case 'pairsFrom':
        return part.origins.includes(cell(t.origin)) && inRanges(cell(t.destination), part.to);
      case 'trips': {
        const p = t[part.end];
        const other: End = part.end === 'origin' ? 'destination' : 'origin';
        const scanned =
          part.scan.cells.includes(cell(p)) &&
          part.scan.subs.includes(subRow(p[1], g)) &&
          p[0] >= part.scan.lonLo &&
          p[0] <= part.scan.lonHi &&
          (part.keep === 'inside') === inBox(plan.box, p);
        const otherTest = {
          any: true,
          inBox: inBox(plan.box, t[other]),
          outsideBox: !inBox(plan.box, t[other]),
          inRegion: inRegion(cell(t[other])),
          outsideRegion: !inRegion(cell(t[other])),
        }[part.other];
        return scanned && otherTest;
      }
    }
  };
  let total = 0;
  for (const part of plan.parts) for (const t of trips) if (counts(part, t)) total += part.sign;
  return total;
}

/** Boxes from under a cell to tens of cells, on or off the grid's borders; trips near and on their edges. */
const G = 0.01;
const onGrid = (v: number, g: number) => Math.round(v / g) * g;
const coordinate = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true });
const scenario = fc
  .record({
    lon: coordinate(14, 15),
    lat: coordinate(50, 51),
    width: fc.oneof(coordinate(0, 0.02), coordinate(0.02, 0.4)),
    height: fc.oneof(coordinate(0, 0.02), coordinate(0.02, 0.4)),
    snap: fc.boolean(),
  })
  .chain(({ lon, lat, width, height, snap }) => {
    const box: Bbox = snap
      ? {
          minLon: onGrid(lon, G),
          minLat: onGrid(lat, G),
          maxLon: onGrid(lon + width, G),
          maxLat: onGrid(lat + height, G),
        }
      : { minLon: lon, minLat: lat, maxLon: lon + width, maxLat: lat + height };
    const near = (min: number, max: number) =>
      fc.oneof(
        coordinate(min - 0.03, max + 0.03),
        fc.constantFrom(min, max, onGrid(min, G), onGrid(max, G), (min + max) / 2),
      );
    const point = fc.tuple(near(box.minLon, box.maxLon), near(box.minLat, box.maxLat));
    const trips = fc.array(
      fc.record({
        origin: point,
        destination: fc.oneof(
          point,
          point.map(([a, b]): [number, number] => [a + 1, b]),
        ),
      }),
      { maxLength: 300 },
    );
    return fc.tuple(fc.constant(box), trips, fc.constantFrom<MatchMode>('origin', 'destination', 'both', 'any'));
  });

/** The smallest box holding both ends of every trip, grown by `pad` (what meta.segments records, or more). */
function extentOf(trips: Trip[], pad: number): Bbox | undefined {
  if (trips.length === 0) return undefined;
  const points = trips.flatMap((t) => [t.origin, t.destination]);
  return {
    minLon: Math.min(...points.map((p) => p[0])) - pad,
    minLat: Math.min(...points.map((p) => p[1])) - pad,
    maxLon: Math.max(...points.map((p) => p[0])) + pad,
    maxLat: Math.max(...points.map((p) => p[1])) + pad,
  };
}

describe('planCount', () => {
  it('counts what brute force counts, in every mode, whole and split in two shards, with or without the extent', () => {
    fc.assert(
      fc.property(scenario, fc.option(fc.constantFrom(0, 0.004, 0.02, 0.5)), ([box, trips, match], pad) => {
        const extent = pad === null ? undefined : extentOf(trips, pad);
        const plan = planCount(box, boxCells(box, G, extent), G, match);
        const expected = bruteForce(trips, box, match);
        expect(evaluate(plan, trips, G)).toBe(expected);
        const halves = [0, 1].map((no) => evaluate(shardOf(plan, { no, of: 2 }), trips, G));
        expect(halves[0] + halves[1]).toBe(expected);
      }),
      { numRuns: 600 },
    );
  });

  it('counts the same with the edge restricted to the cells holding a trip end', () => {
    fc.assert(
      fc.property(scenario, fc.option(fc.constantFrom(0, 0.004)), ([box, trips, match], pad) => {
        const extent = pad === null ? undefined : extentOf(trips, pad);
        const occupied = new Set(
          trips.flatMap((t) => [t.origin, t.destination].map(([lon, lat]) => cellKey(lon, lat, G))),
        );
        const all = boxCells(box, G, extent);
        const cells = occupiedEdge(all, occupied);
        expect(cellCount(cells.edge)).toBeLessThanOrEqual(cellCount(all.edge));
        for (const run of cells.edge) expect(decodeCell(run.hi).cy).toBe(decodeCell(run.lo).cy);
        const plan = planCount(box, cells, G, match);
        const expected = bruteForce(trips, box, match);
        expect(evaluate(plan, trips, G)).toBe(expected);
        const halves = [0, 1].map((no) => evaluate(shardOf(plan, { no, of: 2 }), trips, G));
        expect(halves[0] + halves[1]).toBe(expected);
      }),
      { numRuns: 600 },
    );
    // A box over sparse data: of its edge cells, only the occupied ones remain.
    const box = { minLon: 14.0013, minLat: 50.0017, maxLon: 14.9987, maxLat: 50.9991 };
    const lone: Trip = { origin: [14.0015, 50.5], destination: [14.5, 50.5] };
    const cells = occupiedEdge(boxCells(box, G), new Set([cellKey(14.0015, 50.5, G), cellKey(14.5, 50.5, G)]));
    expect(cells.edge).toEqual([{ lo: cellKey(14.0015, 50.5, G), hi: cellKey(14.0015, 50.5, G) }]);
    for (const match of ['origin', 'destination', 'both', 'any'] as const)
      expect(evaluate(planCount(box, cells, G, match), [lone], G)).toBe(bruteForce([lone], box, match));
  });

  it('drops the sides of a box beyond the data: a box around all of it counts from gold alone', () => {
    const trips: Trip[] = [
      { origin: [14.4123, 50.0811], destination: [7.6861, 45.0704] },
      { origin: [-73.5671, 45.5011], destination: [14.4399, 50.0755] },
    ];
    const extent = extentOf(trips, 0)!;
    const world = { minLon: -180, minLat: -90, maxLon: 180, maxLat: 90 };
    const clipped = boxCells(world, G, extent);
    expect(clipped.edge).toEqual([]);
    // Without the extent, every cell along the world's border is an edge cell.
    expect(boxCells(world, G).edge.length).toBeGreaterThan(10_000);
    for (const match of ['origin', 'destination', 'both', 'any'] as const) {
      const plan = planCount(world, clipped, G, match);
      expect(plan.parts.map((p) => p.kind)).not.toContain('trips');
      expect(evaluate(plan, trips, G)).toBe(2);
    }
    // One side inside the data: edge cells along that side only; a box beside the data: nothing.
    const west = boxCells({ ...world, maxLon: 10 }, G, extent);
    // (one run per grid row of the extent: the two cells around lon 10, 9.99–10.01)
    expect(new Set(west.edge.map((r) => [decodeCell(r.lo).cx, decodeCell(r.hi).cx].join('–')))).toEqual(
      new Set(['999–1000']),
    );
    expect(west.edge).toHaveLength(Math.floor(extent.maxLat / G) - Math.floor(extent.minLat / G) + 1);
    expect(boxCells({ minLon: 20, minLat: -90, maxLon: 30, maxLat: 90 }, G, extent)).toMatchObject({
      inner: [],
      edge: [],
    });
  });

  it('chooses each way of counting pairs: staying (small box), leaving (city), scan (country)', () => {
    const kinds = (box: Bbox, match: MatchMode) => planCount(box, boxCells(box, G), G, match).parts.map((p) => p.kind);
    const small = { minLon: 14.401, minLat: 50.001, maxLon: 14.449, maxLat: 50.049 };
    const city = { minLon: 14.201, minLat: 50.001, maxLon: 14.699, maxLat: 50.499 };
    const country = { minLon: 12.001, minLat: 48.001, maxLon: 16.999, maxLat: 52.999 };
    expect(isHuge(boxCells(country, G))).toBe(true);
    expect(kinds(small, 'both').filter((k) => k === 'pairsFrom')).toHaveLength(1); // staying, one part
    expect(kinds(small, 'both')).not.toContain('endRanges');
    expect(kinds(city, 'both')).toEqual(expect.arrayContaining(['endRanges', 'pairsFrom'])); // leaving
    expect(kinds(country, 'both')).toContain('pairsToInner');
    expect(kinds(country, 'both')).not.toContain('pairsFrom');
  });

  it('counts large boxes exactly too (every way of counting pairs)', () => {
    const next = (() => {
      let a = 11;
      return () => ((a = (a * 16807) % 2147483647) - 1) / 2147483646;
    })();
    const trips: Trip[] = Array.from({ length: 3_000 }, () => ({
      origin: [12 + next() * 5.2, 48 + next() * 5.2],
      destination: [12 + next() * 5.2, 48 + next() * 5.2],
    }));
    for (const box of [
      { minLon: 14.2013, minLat: 50.0017, maxLon: 14.6991, maxLat: 50.4993 },
      { minLon: 12.0011, minLat: 48.0013, maxLon: 16.9987, maxLat: 52.9991 },
    ])
      for (const match of ['origin', 'destination', 'both', 'any'] as const)
        expect(evaluate(planCount(box, boxCells(box, G), G, match), trips, G)).toBe(bruteForce(trips, box, match));
  });
});
