// CPU of PostgreSQL's processes, by who they work for: each client backend by its application_name
// (every service names its pool `trips-<service>`), every other process by its backend type
// (autovacuum worker, checkpointer, walwriter, …). Sampled from pg_stat_activity and /proc: a
// backend's CPU since the previous sample is added to its name, so a backend that exits between two
// samples loses at most one interval.
import type pg from 'pg';
import { processCpuMs } from './reference.js';

export class PgCpu {
  /** CPU ms of each known process at its last sample. */
  private readonly last = new Map<number, number>();
  private readonly byName = new Map<string, number>();
  private started = false;

  constructor(private readonly pool: pg.Pool) {}

  /**
   * Takes a sample. The first one only sets each running process's baseline; later ones add what
   * each process used since (from 0 for a process started since the previous sample).
   */
  async sample(): Promise<void> {
    const { rows } = await this.pool.query<{ pid: number; who: string }>(
      `SELECT pid, CASE WHEN backend_type = 'client backend' THEN coalesce(nullif(application_name, ''), 'unnamed client')
                        ELSE backend_type END AS who
         FROM pg_stat_activity`,
    );
    for (const { pid, who } of rows) {
      const ms = processCpuMs(pid);
      if (Number.isNaN(ms)) continue;
      const before = this.last.get(pid) ?? (this.started ? 0 : ms);
      this.last.set(pid, ms);
      if (ms > before) this.byName.set(who, (this.byName.get(who) ?? 0) + ms - before);
    }
    this.started = true;
  }

  /** CPU ms per name since the first sample, largest first. */
  totals(): [string, number][] {
    return [...this.byName].sort((a, b) => b[1] - a[1]);
  }
}
