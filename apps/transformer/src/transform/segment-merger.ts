import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { CONFIG, type Env } from '#config';
import { PG_POOL, withTransaction } from '#db';
import { LOGGER } from '#logging';
import { nextMerge, type MergePolicy } from './merge-policy.js';
import { SEGMENTED_TABLES, SegmentRepository } from './segment.repository.js';
import { SEGMENT_BUILD_LOCK } from './transform.service.js';

/** How often failed ingestions' segments are swept when merges are off (MERGE_INTERVAL_MS = 0). */
const SWEEP_MS = 60_000;

/** Key of the advisory lock that lets one merge (or retraction) run at a time in the whole deployment. */
export const MERGE_LOCK = 0x6d657267; // 'merg'

/** A merge that ran: the new segment, the segments it replaced, its rows and duration. */
export interface MergeDone {
  segmentNo: number;
  sources: number[];
  rows: number;
  ms: number;
}

/**
 * Merges segments in the background (docs/architecture.md, "Merging segments"): every segment adds a
 * partition to silver.trips and to each segmented gold table, and every query pays for each partition
 * it scans, so size tiers of segments are merged into one (merge-policy.ts). One merge runs at a time
 * across all transformer instances (an advisory lock), in one transaction: the new segment's
 * partitions are filled from the old ones, indexed and attached, and the old ones dropped, so a query
 * sees either the old segments or the new one. Merges wait while an ingestion is progressing.
 */
@Injectable()
export class SegmentMerger implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly policy: MergePolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private log: Logger | undefined;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(SegmentRepository) private readonly segments: SegmentRepository,
    @Inject(CONFIG) private readonly env: Env,
    @Inject(LOGGER) private readonly logger?: Logger,
  ) {
    this.policy = { baseRows: env.SEGMENT_ROWS, fanIn: env.MERGE_FAN_IN, maxRows: env.MERGE_MAX_ROWS };
  }

  onApplicationBootstrap(): void {
    this.log = this.logger?.child({ component: 'segment-merger' });
    // The sweep of failed ingestions' segments runs even when merges are off.
    this.timer = setInterval(() => this.poke(), this.env.MERGE_INTERVAL_MS > 0 ? this.env.MERGE_INTERVAL_MS : SWEEP_MS);
    this.timer.unref();
    this.poke();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    // A merge in flight finishes (or its transaction rolls back with the connection).
    await this.running;
  }

  /**
   * Starts, in the background unless this process is already at it, the sweep of failed ingestions'
   * segments, then the merges (when MERGE_INTERVAL_MS > 0).
   */
  poke(): void {
    if (this.running || this.stopping) return;
    this.running = this.discardFailed()
      .then(() => (this.env.MERGE_INTERVAL_MS > 0 ? this.mergeWhileDue() : []))
      .then(() => undefined)
      .catch((error: unknown) => this.log?.warn({ err: error }, 'merge failed; retrying later'))
      .finally(() => (this.running = undefined));
  }

  /** Drops the detached segments of failed ingestions (they never count); returns how many. */
  async discardFailed(): Promise<number> {
    const dropped = await withTransaction(this.pool, (client) => this.segments.discardFailed(client));
    if (dropped.length > 0) this.log?.info({ segments: dropped }, "failed ingestions' segments dropped");
    return dropped.length;
  }

  /** Merges until no merge is due (or another instance holds the merge lock, or ingestion resumes). */
  async mergeWhileDue(): Promise<MergeDone[]> {
    const done: MergeDone[] = [];
    while (!this.stopping) {
      const merged = await this.mergeOnce();
      if (!merged) break;
      done.push(merged);
      this.log?.info(merged, 'segments merged');
    }
    return done;
  }

  /** One merge, if one is due and this instance may run it; null otherwise. */
  async mergeOnce(): Promise<MergeDone | null> {
    const started = performance.now();
    const merged = await withTransaction(this.pool, async (client) => {
      const { rows: lock } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        MERGE_LOCK,
      ]);
      if (!lock[0].locked || (await this.ingesting(client))) return null;
      const sources = nextMerge(await this.segments.listSegments(client), this.policy);
      if (sources.length === 0) return null;
      await this.segments.tuneForBuild(client, this.env.SEGMENT_BUILD_MEMORY_MB);
      const n = await this.segments.nextSegmentNo(client);
      await this.segments.createPartitions(client, n);
      await this.segments.fillMerged(client, n, sources);
      for (const table of SEGMENTED_TABLES) await this.segments.buildIndexes(client, table, n);
      await this.segments.attach(client, n);
      await this.segments.dropSegments(client, sources);
      const rows = await this.segments.recordMerge(client, n, sources, performance.now() - started);
      return { segmentNo: n, sources, rows };
    });
    if (!merged) return null;
    await this.segments.vacuum(this.pool, merged.segmentNo, SEGMENTED_TABLES);
    return { ...merged, ms: Math.round(performance.now() - started) };
  }

  /**
   * Whether an ingestion is progressing: a segment build holds its lock (every build takes it,
   * shared), or an ingestion in flight has progressed within MERGE_QUIET_MS (chunks arriving).
   */
  private async ingesting(client: pg.ClientBase): Promise<boolean> {
    if (this.env.MERGE_QUIET_MS === 0) return false;
    const { rows } = await client.query<{ busy: boolean }>(
      `SELECT EXISTS (
                SELECT 1 FROM pg_locks
                 WHERE locktype = 'advisory' AND classid = 0 AND objid = $2 AND objsubid = 1 AND granted
              )
           OR EXISTS (
                SELECT 1 FROM meta.ingestions
                 WHERE state IN ('accepted', 'uploading', 'processing')
                   AND updated_at > now() - make_interval(secs => $1::float8 / 1000)
              ) AS busy`,
      [this.env.MERGE_QUIET_MS, SEGMENT_BUILD_LOCK],
    );
    return rows[0].busy;
  }
}
