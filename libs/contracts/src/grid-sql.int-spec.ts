import type pg from 'pg';
import { seededRandom, testPool } from '#testing';
import { cellKey, decodeCell, subRow } from './grid.js';

/**
 * The grid has two homes, this library and the SQL functions of migration 0018 (silver.cell_key,
 * cell_x, cell_y, cell_sub_row): they must give the same keys, indices and sub-rows, bit for bit, on
 * generated points and on the borders where float rounding decides.
 */
describe('grid: TypeScript and SQL agree', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  function points(cellDegrees: number): [number, number][] {
    const next = seededRandom(Math.round(cellDegrees * 1e6));
    const out: [number, number][] = [];
    for (let i = 0; i < 2_000; i++) out.push([next() * 360 - 180, next() * 180 - 90]);
    // Borders: multiples of the cell size and of its tenth, and their float neighbours.
    for (let i = 0; i < 500; i++) {
      const k = Math.floor(next() * 2 * (90 / cellDegrees)) - 90 / cellDegrees;
      const edge = k * cellDegrees;
      const tenth = (k + Math.floor(next() * 10) / 10) * cellDegrees;
      for (const v of [edge, tenth]) {
        const ulp = Math.max(Math.abs(v) * Number.EPSILON, Number.MIN_VALUE);
        out.push([v, v], [v + ulp, v - ulp], [v - ulp, v + ulp]);
      }
    }
    out.push([-180, -90], [180, 90], [0, 0], [-0, -0], [179.99999999, 89.99999999]);
    return out.filter(([lon, lat]) => Math.abs(lon) <= 180 && Math.abs(lat) <= 90);
  }

  it.each([0.01, 0.005, 0.25, 1, 0.0001])('on generated and border points, cell size %p°', async (cellDegrees) => {
    const ps = points(cellDegrees);
    const { rows } = await pool.query<{ key: string; x: string; y: string; sub: number }>(
      `SELECT silver.cell_key(lon, lat, $3) AS key, silver.cell_x(silver.cell_key(lon, lat, $3)) AS x,
              silver.cell_y(silver.cell_key(lon, lat, $3)) AS y, silver.cell_sub_row(lat, $3) AS sub
         FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p (lon, lat, i)
        ORDER BY i`,
      [ps.map((p) => p[0]), ps.map((p) => p[1]), cellDegrees],
    );
    const sql = rows.map((r) => [Number(r.key), Number(r.x), Number(r.y), r.sub]);
    const ts = ps.map(([lon, lat]) => {
      const key = cellKey(lon, lat, cellDegrees);
      const { cx, cy } = decodeCell(key);
      return [key, cx, cy, subRow(lat, cellDegrees)];
    });
    expect(sql).toEqual(ts);
  });
});
