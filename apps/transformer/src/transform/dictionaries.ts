import { Injectable } from '@nestjs/common';
import type pg from 'pg';

/** At most this many names per dictionary are cached; the dictionaries are small by design. */
const CACHE_LIMIT = 100_000;

/**
 * Ids of regions and datasources by the names a chunk carries, cached: a statement runs only for a
 * name this process has not seen. New names are inserted in autocommit statements of their own, so
 * a concurrent transformer sees them at once and a segment that rolls back leaves only unused names.
 *
 * The case-insensitive region key is `lower(name)` computed by PostgreSQL (its lower() and the JS one
 * differ on some characters); the first spelling inserted is the region's name.
 */
@Injectable()
export class Dictionaries {
  private readonly regions = new Map<string, number>();
  private readonly datasources = new Map<string, number>();

  regionIds(db: pg.Pool | pg.ClientBase, names: readonly string[]): Promise<number[]> {
    return this.resolve(db, names, this.regions, REGIONS);
  }

  datasourceIds(db: pg.Pool | pg.ClientBase, names: readonly string[]): Promise<number[]> {
    return this.resolve(db, names, this.datasources, DATASOURCES);
  }

  private async resolve(
    db: pg.Pool | pg.ClientBase,
    names: readonly string[],
    cache: Map<string, number>,
    sql: DictionarySql,
  ): Promise<number[]> {
    const missing = names.filter((n) => !cache.has(n));
    if (missing.length > 0) {
      await db.query(sql.insert, [missing]);
      const { rows } = await db.query<{ name: string; id: number }>(sql.select, [missing]);
      if (cache.size + rows.length > CACHE_LIMIT) cache.clear();
      for (const r of rows) cache.set(r.name, r.id);
    }
    return names.map((n) => {
      const id = cache.get(n);
      if (id === undefined) throw new Error(`dictionary has no id for ${JSON.stringify(n)}`);
      return id;
    });
  }
}

interface DictionarySql {
  /** $1: names; inserts those missing, in key order so concurrent inserts cannot deadlock. */
  insert: string;
  /** $1: names; returns (name, id) for each. */
  select: string;
}

// Only missing names reach INSERT: ON CONFLICT DO NOTHING still draws an identity value for every
// proposed row, and re-proposing known names on every chunk would burn through the integer keys
// (2^31 - 1) many times faster than names arrive.
const REGIONS: DictionarySql = {
  insert: `INSERT INTO silver.regions (name, name_key)
           SELECT DISTINCT ON (lower(u.name)) u.name, lower(u.name)
             FROM unnest($1::text[]) WITH ORDINALITY AS u (name, ord)
            WHERE NOT EXISTS (SELECT 1 FROM silver.regions r WHERE r.name_key = lower(u.name))
            ORDER BY lower(u.name), u.ord
           ON CONFLICT (name_key) DO NOTHING`,
  select: `SELECT u.name, r.region_id AS id
             FROM unnest($1::text[]) AS u (name)
             JOIN silver.regions r ON r.name_key = lower(u.name)`,
};

const DATASOURCES: DictionarySql = {
  insert: `INSERT INTO silver.datasources (name)
           SELECT DISTINCT u.name FROM unnest($1::text[]) AS u (name)
            WHERE NOT EXISTS (SELECT 1 FROM silver.datasources s WHERE s.name = u.name)
            ORDER BY u.name
           ON CONFLICT (name) DO NOTHING`,
  select: `SELECT u.name, s.datasource_id AS id
             FROM unnest($1::text[]) AS u (name)
             JOIN silver.datasources s ON s.name = u.name`,
};
