import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { inLockedSnapshot, PG_POOL } from '#db';
import { cellKeyOf, type IndexRange } from '../area/grid.js';
import { bySize, topGroups, type GroupId, type Sized } from './top-groups.js';

/** Sort key of a group: trip_count descending, then the primary key ascending. */
export type GroupKey = [
  tripCount: number,
  regionId: number,
  originCell: number,
  destinationCell: number,
  todBucket: number,
];

/** A row's place in page order: what a cursor holds. */
export const groupKeyOf = (r: GroupRow): GroupKey => [
  Number(r.trip_count),
  r.region_id,
  Number(r.origin_cell),
  Number(r.destination_cell),
  r.tod_bucket,
];

export interface GroupFilter {
  region?: string;
  /** Origin cells whose printed centre lies in the box, as a rectangle of grid indices. */
  originCells?: { x: IndexRange; y: IndexRange };
  todBucket?: number;
  after?: GroupKey;
  limit: number;
}

export interface GroupRow {
  region_id: number;
  region: string;
  origin_cell: string;
  destination_cell: string;
  tod_bucket: number;
  trip_count: string;
  first_seen: string;
  last_seen: string;
  datasources: string[];
}

/**
 * Reads pages of trip groups. "Largest first" is a threshold top-k over the segments' size-ordered
 * lists (top-groups.ts), which reads a few of the largest parts instead of adding up every group.
 * A filter (region, box) that selects few parts, or a page the lists cannot decide, adds up the
 * groups the filter selects instead.
 */
@Injectable()
export class TripGroupsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** One page of groups, largest first; `limit` rows at most. */
  page(filter: GroupFilter): Promise<GroupRow[]> {
    // Locked, then one snapshot: a merge cannot swap the partitions between the statements of a page.
    return inLockedSnapshot(this.pool, ['gold.trip_group_parts'], async (client) => {
      if (!(await selectsFewParts(client, filter))) {
        const page = await topBySize(client, filter);
        if (page) return page;
      }
      return aggregated(client, filter);
    });
  }
}

/**
 * A filter (region, box) selecting fewer parts than this adds them up at once: counting them is a
 * few short ranges of the parts' key index, and adding them up costs less than reading the size lists
 * through a filter that passes few of them. At 10M rows a box of 20 cells in a city centre holds
 * 240k parts: added up 0.5–1.6 s, by the size lists tens of milliseconds.
 */
const FEW_PARTS = 20_000;

/**
 * Counting a box's parts costs one index descent per region and row of cells: beyond this many
 * (a tall box, or many regions and no region filter) the box is taken for one of many parts.
 */
const MAX_COUNT_DESCENTS = 20_000;

async function selectsFewParts(client: pg.ClientBase, filter: GroupFilter): Promise<boolean> {
  if (filter.region === undefined && filter.originCells === undefined) return false;
  if (filter.originCells) {
    const rows = filter.originCells.y.hi - filter.originCells.y.lo + 1;
    const regions =
      filter.region === undefined
        ? (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM silver.regions')).rows[0].n
        : 1;
    if (rows * regions > MAX_COUNT_DESCENTS) return false;
  }
  const { values, $ } = binder();
  const parts = partsOf(filter, $);
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT FROM ${parts} LIMIT ${$(FEW_PARTS, 'integer')}) p`,
    values,
  );
  return rows[0].n < FEW_PARTS;
}

/**
 * The parts a region or box filter selects, through the parts' key index (region_id, origin_cell,
 * …): per region (the filter's, or every one) and per row of the box's origin cells, one key range.
 */
function partsOf(filter: GroupFilter, $: Bind): string {
  const regions = `p.region_id = ${filter.region === undefined ? EVERY_REGION : regionIdOf($(filter.region, 'text'))}`;
  if (!filter.originCells) return `gold.trip_group_parts p WHERE ${regions}`;
  const { x, y } = filter.originCells;
  const rows = Array.from({ length: Math.max(0, y.hi - y.lo + 1) }, (_, i) => y.lo + i);
  const lo = $(
    rows.map((cy) => String(cellKeyOf(x.lo, cy))),
    'bigint[]',
  );
  const hi = $(
    rows.map((cy) => String(cellKeyOf(x.hi, cy))),
    'bigint[]',
  );
  return `unnest(${lo}, ${hi}) AS r (lo, hi)
          CROSS JOIN LATERAL (SELECT FROM gold.trip_group_parts p WHERE ${regions} AND p.origin_cell BETWEEN r.lo AND r.hi OFFSET 0) p`;
}

/** Every region's id, for the parts' key index, which leads with region_id. */
const EVERY_REGION = 'ANY (ARRAY(SELECT region_id FROM silver.regions))';

const regionIdOf = (name: string) => `(SELECT region_id FROM silver.regions WHERE name_key = lower(trim(${name})))`;

/** The page from the segments' size-ordered lists, or undefined when they cannot decide it. */
async function topBySize(client: pg.ClientBase, filter: GroupFilter): Promise<GroupRow[] | undefined> {
  const { rows: partitions } = await client.query<{ name: string }>(
    `SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'gold.trip_group_parts'::regclass ORDER BY 1`,
  );
  const found = new Map<Sized, GroupRow>();
  const page = await topGroups<Sized>(
    {
      read: async (requests) => {
        const read: Sized[][] = requests.map(() => []);
        if (requests.length === 0) return read;
        const { values, $ } = binder();
        const where: string[] = ['p.trip_count > 1']; // the lists' index (migration 0019) is partial
        if (filter.region !== undefined) where.push(`p.region_id = ${regionIdOf($(filter.region, 'text'))}`);
        if (filter.todBucket !== undefined) where.push(`p.tod_bucket = ${$(filter.todBucket, 'smallint')}`);
        if (filter.originCells) where.push(inCells('p.origin_cell', filter.originCells, $));
        const filters = where.join(' AND ');
        // Per list: the rest of the parts of the position's size (in key order), then the smaller ones.
        const lists = requests.map(({ list, from, limit }, i) => {
          const table = partitions[list].name;
          const [n, c] = [$(limit, 'integer'), $(from.count, 'bigint')];
          const sameSize = from.id
            ? `(SELECT ${i} AS i, ${PART_COLUMNS} FROM ${table} p WHERE ${filters} AND p.trip_count = ${c}
                  AND (p.region_id, p.origin_cell, p.destination_cell, p.tod_bucket) >
                      (${$(from.id[0], 'integer')}, ${$(from.id[1], 'bigint')}, ${$(from.id[2], 'bigint')}, ${$(from.id[3], 'smallint')})
                ORDER BY p.region_id, p.origin_cell, p.destination_cell, p.tod_bucket LIMIT ${n}) UNION ALL `
            : '';
          return `(SELECT * FROM (${sameSize}(SELECT ${i} AS i, ${PART_COLUMNS} FROM ${table} p
                    WHERE ${filters} AND p.trip_count ${from.id ? '<' : '<='} ${c}
                    ORDER BY p.trip_count DESC, p.region_id, p.origin_cell, p.destination_cell, p.tod_bucket
                    LIMIT ${n})) s LIMIT ${n})`;
        });
        const { rows } = await client.query<PartRow & { i: number }>(lists.join('\nUNION ALL\n'), values);
        for (const r of rows) read[r.i].push(sizedOf(r));
        // Each branch comes out in its order, but UNION ALL does not promise to keep it.
        for (const list of read) list.sort(bySize);
        return read;
      },
      totals: async (ids) => {
        const { values, $ } = binder();
        const column = (c: number, type: string) =>
          $(
            ids.map((id) => id[c]),
            type,
          );
        const keys = [column(0, 'integer[]'), column(1, 'bigint[]'), column(2, 'bigint[]'), column(3, 'smallint[]')];
        const { rows } = await client.query<GroupRow>(
          `${GROUP_COLUMNS}
             FROM (SELECT region_id, origin_cell, destination_cell, tod_bucket, ${ADDED_UP}
                     FROM unnest(${keys.join(', ')}) AS k(region_id, origin_cell, destination_cell, tod_bucket)
                     JOIN gold.trip_group_parts p USING (region_id, origin_cell, destination_cell, tod_bucket)
                    GROUP BY 1, 2, 3, 4) g
             JOIN silver.regions r ON r.region_id = g.region_id`,
          values,
        );
        return rows.map((row) => {
          const group = sizedOf(row);
          found.set(group, row);
          return group;
        });
      },
    },
    {
      lists: partitions.length,
      limit: filter.limit,
      after: filter.after && {
        count: filter.after[0],
        id: [filter.after[1], filter.after[2], filter.after[3], filter.after[4]],
      },
      unlistedMax: 1,
    },
  );
  return page?.map((group) => found.get(group)!);
}

/** The page by adding up every group the filter selects (the view gold.trip_groups). */
async function aggregated(client: pg.ClientBase, filter: GroupFilter): Promise<GroupRow[]> {
  const { values, $ } = binder();
  const where: string[] = [];
  if (filter.region !== undefined) {
    where.push(`g.region_id = ${regionIdOf($(filter.region, 'text'))}`);
  }
  if (filter.originCells) {
    const { x, y } = filter.originCells;
    // One key range from the box's first to its last cell lets the parts' key index (region_id,
    // origin_cell, ...) be range-scanned once per region (every region's id, when no region is
    // given: the index leads with it); the arithmetic trims the range to the box.
    if (filter.region === undefined) where.push(`g.region_id = ${EVERY_REGION}`);
    where.push(`g.origin_cell BETWEEN ${$(cellKeyOf(x.lo, y.lo), 'bigint')} AND ${$(cellKeyOf(x.hi, y.hi), 'bigint')}`);
    where.push(inCells('g.origin_cell', filter.originCells, $));
  }
  if (filter.todBucket !== undefined) where.push(`g.tod_bucket = ${$(filter.todBucket, 'smallint')}`);
  if (filter.after) {
    const [count, region, origin, destination, bucket] = filter.after;
    const c = $(count, 'bigint');
    where.push(
      `(g.trip_count < ${c} OR (g.trip_count = ${c} AND (g.region_id, g.origin_cell, g.destination_cell, g.tod_bucket) > ` +
        `(${$(region, 'integer')}, ${$(origin, 'bigint')}, ${$(destination, 'bigint')}, ${$(bucket, 'smallint')})))`,
    );
  }
  const { rows } = await client.query<GroupRow>(
    `${GROUP_COLUMNS}
       FROM gold.trip_groups g
       JOIN silver.regions r ON r.region_id = g.region_id
      ${where.length ? `WHERE ${where.join('\n          AND ')}` : ''}
      ORDER BY g.trip_count DESC, g.region_id, g.origin_cell, g.destination_cell, g.tod_bucket
      LIMIT ${$(filter.limit, 'integer')}`,
    values,
  );
  return rows;
}

/** The cell column lies in the rectangle of cells (decoded to grid indices). */
function inCells(column: string, { x, y }: NonNullable<GroupFilter['originCells']>, $: Bind): string {
  return `silver.cell_y(${column}) BETWEEN ${$(y.lo, 'bigint')} AND ${$(y.hi, 'bigint')}
      AND silver.cell_x(${column}) BETWEEN ${$(x.lo, 'bigint')} AND ${$(x.hi, 'bigint')}`;
}

/** Binds a value as the next parameter; returns its reference (`$n::type`). */
type Bind = (value: unknown, type: string) => string;

/** Bound values and the function that binds the next one. */
function binder(): { values: unknown[]; $: Bind } {
  const values: unknown[] = [];
  return { values, $: (v, type) => (values.push(v), `$${values.length}::${type}`) };
}

/** A page's columns, from `g` (a group, its parts added up) and `r` (its region). */
const GROUP_COLUMNS = `SELECT g.region_id, r.name AS region, g.origin_cell, g.destination_cell, g.tod_bucket, g.trip_count,
       to_char(g.first_seen, 'YYYY-MM-DD"T"HH24:MI:SS') AS first_seen,
       to_char(g.last_seen, 'YYYY-MM-DD"T"HH24:MI:SS') AS last_seen,
       ARRAY(SELECT d.name FROM silver.datasources d WHERE d.datasource_id = ANY (g.datasource_ids) ORDER BY d.name) AS datasources`;

/** A group's parts `p` added up, as the view gold.trip_groups adds them (migration 0017). */
const ADDED_UP = `sum(p.trip_count)::bigint AS trip_count, min(p.first_seen) AS first_seen, max(p.last_seen) AS last_seen,
       gold.union_ids_agg(p.datasource_ids) AS datasource_ids`;

const PART_COLUMNS = 'p.trip_count, p.region_id, p.origin_cell, p.destination_cell, p.tod_bucket';

interface PartRow {
  /** A part's count is an integer (migration 0020); a group's, added up, a bigint (text). */
  trip_count: number | string;
  region_id: number;
  origin_cell: string;
  destination_cell: string;
  tod_bucket: number;
}

const sizedOf = (r: PartRow): Sized => ({
  count: Number(r.trip_count),
  id: [r.region_id, Number(r.origin_cell), Number(r.destination_cell), r.tod_bucket] as GroupId,
});
