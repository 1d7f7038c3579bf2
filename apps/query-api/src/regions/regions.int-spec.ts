import pg from 'pg';
import { AppError } from '#common';
import { dropDatabase } from '#db';
import { freshDatabase } from '#testing';
import { RegionsHttpController } from './regions.http.controller.js';
import { RegionsRepository } from './regions.repository.js';

/** GET /api/v1/regions against silver.regions and gold.region_latest in a database of its own. */
describe('RegionsHttpController: region names for suggestions', () => {
  let url: string;
  let pool: pg.Pool;
  let controller: RegionsHttpController;
  const names = ['Prague', 'praha_2', 'Hamburg', 'Turin', 'Pr%ovence', 'Pr_x', 'Zürich'];

  beforeAll(async () => {
    url = await freshDatabase('regions');
    pool = new pg.Pool({ connectionString: url, max: 2 });
    controller = new RegionsHttpController(new RegionsRepository(pool));
    // 'Ghost' is a name the transformer saw in an ingestion that never counted (running, failed or
    // retracted): it has no row in gold.region_latest.
    await pool.query(`INSERT INTO silver.regions (name, name_key) SELECT n, lower(n) FROM unnest($1::text[]) AS n`, [
      [...names, 'Ghost'],
    ]);
    await pool.query(
      `INSERT INTO gold.region_latest (region_id, occurred_at, datasource_id)
       SELECT region_id, '2018-05-21 06:20:59', 1 FROM silver.regions WHERE name = ANY($1::text[])`,
      [names],
    );
  });
  afterAll(async () => {
    await pool?.end();
    if (url) await dropDatabase(url);
  });

  const list = (query: Record<string, unknown>) => controller.list(query).then((r) => r.items);
  const codeOf = (query: Record<string, unknown>) =>
    controller.list(query).then(
      () => undefined,
      (e: unknown) => (e instanceof AppError ? `${e.status} ${e.code}` : String(e)),
    );
  const byKey = (xs: string[]) => [...xs].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

  it('answers every name in case-insensitive order when no prefix is given', async () => {
    await expect(list({})).resolves.toEqual(byKey(names));
  });

  it('keeps the names starting with the prefix, whatever its case and surrounding spaces', async () => {
    await expect(list({ prefix: 'PR' })).resolves.toEqual(byKey(['Prague', 'praha_2', 'Pr%ovence', 'Pr_x']));
    await expect(list({ prefix: ' prag ' })).resolves.toEqual(['Prague']);
    await expect(list({ prefix: 'zü' })).resolves.toEqual(['Zürich']);
    await expect(list({ prefix: 'nowhere' })).resolves.toEqual([]);
  });

  it('leaves out a region without counted trips, and one whose last count a retraction removed', async () => {
    await expect(list({ prefix: 'g' })).resolves.toEqual([]);
    await pool.query(
      `DELETE FROM gold.region_latest WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = 'Turin')`,
    );
    try {
      await expect(list({ prefix: 't' })).resolves.toEqual([]);
      await expect(list({})).resolves.toEqual(byKey(names.filter((n) => n !== 'Turin')));
    } finally {
      await pool.query(
        `INSERT INTO gold.region_latest (region_id, occurred_at, datasource_id)
         SELECT region_id, '2018-05-21 06:20:59', 1 FROM silver.regions WHERE name = 'Turin'`,
      );
    }
  });

  it('takes % and _ in a prefix as plain characters, not patterns', async () => {
    await expect(list({ prefix: 'pr%' })).resolves.toEqual(['Pr%ovence']);
    await expect(list({ prefix: 'pr_' })).resolves.toEqual(['Pr_x']);
    await expect(list({ prefix: '%' })).resolves.toEqual([]);
  });

  it('answers at most limit names, the first in order', async () => {
    await expect(list({ limit: '2' })).resolves.toEqual(byKey(names).slice(0, 2));
    await expect(list({ prefix: 'p', limit: '100' })).resolves.toHaveLength(4);
  });

  it('refuses a bad limit or prefix with the house error codes', async () => {
    await expect(codeOf({ limit: '0' })).resolves.toBe('400 invalid_limit');
    await expect(codeOf({ limit: '101' })).resolves.toBe('400 invalid_limit');
    await expect(codeOf({ limit: 'ten' })).resolves.toBe('400 invalid_limit');
    await expect(codeOf({ prefix: ['a', 'b'] })).resolves.toBe('400 invalid_prefix');
    await expect(codeOf({ prefix: 'x'.repeat(201) })).resolves.toBe('400 invalid_prefix');
    await expect(codeOf({ prefix: 'x'.repeat(200) })).resolves.toBeUndefined();
  });
});
