import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, type Env } from '#config';
import type { Grid } from '#contracts';
import { PG_POOL } from '#db';

/**
 * The grid the stored cells and buckets were computed with. The transformer records it in
 * meta.settings on first use and refuses to run with another; answers computed with a different
 * cell size would silently be wrong, so the database's value wins over this process's env (with a
 * warning). Before any data exists the env applies. Fixed per database, so cached once found.
 */
@Injectable()
export class GridSettingsService {
  private readonly log = new Logger('GridSettingsService');
  private cached: Grid | undefined;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CONFIG) private readonly env: Env,
  ) {}

  async get(): Promise<Grid> {
    if (this.cached) return this.cached;
    const { rows } = await this.pool.query<{ key: string; value: string }>(
      "SELECT key, value FROM meta.settings WHERE key IN ('grid_cell_degrees', 'time_bucket_minutes')",
    );
    const stored = Object.fromEntries(rows.map((r) => [r.key, Number(r.value)]));
    const grid: Grid = {
      cellDegrees: stored.grid_cell_degrees ?? this.env.GRID_CELL_DEGREES,
      bucketMinutes: stored.time_bucket_minutes ?? this.env.TIME_BUCKET_MINUTES,
    };
    if (grid.cellDegrees !== this.env.GRID_CELL_DEGREES || grid.bucketMinutes !== this.env.TIME_BUCKET_MINUTES) {
      this.log.warn(
        `the database was built with GRID_CELL_DEGREES=${grid.cellDegrees}, TIME_BUCKET_MINUTES=${grid.bucketMinutes}; using those, not this process's ${this.env.GRID_CELL_DEGREES} / ${this.env.TIME_BUCKET_MINUTES}`,
      );
    }
    if (stored.grid_cell_degrees !== undefined && stored.time_bucket_minutes !== undefined) this.cached = grid;
    return grid;
  }
}
