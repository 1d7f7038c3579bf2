import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG, type Env } from '#config';
import { makeEvent, type IngestionEvent, type RetractWorkV1 } from '#contracts';
import { PG_POOL, withTransaction } from '#db';
import { RetractionRepository } from './retraction.repository.js';
import { MERGE_LOCK } from './segment-merger.js';
import { SEGMENTED_TABLES, SegmentRepository } from './segment.repository.js';

/** What a retraction work item led to. */
export interface RetractionOutcome {
  /** ingestion.retracted, also on a redelivery (same id); none when there was nothing to retract. */
  events: IngestionEvent<'ingestion.retracted'>[];
  /** Segments dropped whole (only the ingestion's rows) and segments rebuilt without them. */
  dropped: number[];
  rebuilt: number[];
}

/** ingestion.retracted with its deterministic id and the time of the retraction. */
export function retractedEvent(ingestionId: string, trips: number, at: Date): IngestionEvent<'ingestion.retracted'> {
  return makeEvent('ingestion.retracted', ingestionId, { trips }, undefined, at);
}

/**
 * Takes a completed ingestion's rows out of every answer (docs/architecture.md, "What counts"), in
 * one transaction: a segment that holds only its rows is dropped, one that holds others' rows too (a
 * merge) is rebuilt without them, and the unpartitioned gold tables lose its counts. It holds the
 * merge lock, so no merge rewrites the same segments meanwhile; segment builds go on, since they only
 * add segments. The partitions are dropped last: a DROP locks its parent table against queries until
 * the commit, which then comes at once.
 */
@Injectable()
export class RetractionService {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(RetractionRepository) private readonly repo: RetractionRepository,
    @Inject(SegmentRepository) private readonly segments: SegmentRepository,
    @Inject(CONFIG) private readonly env: Env,
  ) {}

  async retract(item: RetractWorkV1): Promise<RetractionOutcome> {
    const outcome = await withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MERGE_LOCK]);
      const target = await this.repo.lockIngestion(client, item.ingestionNo);
      if (!target || target.ingestionId !== item.ingestionId.toLowerCase()) return null;
      if (target.state === 'retracted') {
        // A redelivery: the first delivery committed, maybe without publishing.
        return {
          events: [retractedEvent(target.ingestionId, target.validRows, target.retractedAt!)],
          dropped: [],
          rebuilt: [],
        };
      }
      if (target.state !== 'retracting') return null;
      await this.segments.tuneForBuild(client, this.env.SEGMENT_BUILD_MEMORY_MB);

      const held = await this.repo.heldSegments(client, item.ingestionNo);
      await this.repo.retractRegionGold(client, item.ingestionNo);
      const rebuilt: number[] = [];
      for (const source of held.filter((s) => s.ownRows < s.rows)) {
        const t = performance.now();
        const n = await this.segments.nextSegmentNo(client);
        await this.segments.createPartitions(client, n);
        await this.segments.fillRebuilt(client, n, source.segmentNo, item.ingestionNo);
        for (const table of SEGMENTED_TABLES) await this.segments.buildIndexes(client, table, n);
        await this.segments.attach(client, n);
        await this.repo.recordRebuilt(client, item.ingestionNo, n, source, performance.now() - t);
        rebuilt.push(n);
      }
      const gone = held.map((s) => s.segmentNo);
      await this.repo.forgetSegments(client, gone);
      await this.segments.dropSegments(client, gone);
      const at = await this.repo.markRetracted(client, item.ingestionNo);
      return {
        events: [retractedEvent(target.ingestionId, target.validRows, at)],
        dropped: held.filter((s) => s.ownRows === s.rows).map((s) => s.segmentNo),
        rebuilt,
      };
    });
    if (!outcome) return { events: [], dropped: [], rebuilt: [] };
    // Rebuilt partitions were filled by INSERT: their visibility maps and statistics, as after a merge.
    for (const n of outcome.rebuilt) await this.segments.vacuum(this.pool, n, SEGMENTED_TABLES);
    return outcome;
  }
}
