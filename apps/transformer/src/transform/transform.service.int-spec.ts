import pg from 'pg';
import type { BronzeChunkLoadedV1, BronzeCompletedWorkV1 } from '#contracts';
import { PermanentMessageError } from '#kafka';
import { testEnv, testPool } from '#testing';
import { createIngestion, generateBronze, transformService, type TestIngestion } from '../../test/bronze-fixtures.js';
import { SegmentMerger } from './segment-merger.js';
import { partitionOf, SEGMENTED_TABLES, SegmentRepository } from './segment.repository.js';
import type { TransformService, WorkOutcome } from './transform.service.js';

const chunk = (ing: TestIngestion, seq: number, firstLine: number, rows: number): BronzeChunkLoadedV1 => ({
  kind: 'chunk',
  ...ing,
  seq,
  firstLine,
  lastLine: firstLine + rows - 1,
  rows,
});
const end = (ing: TestIngestion, totalChunks: number): BronzeCompletedWorkV1 => ({ kind: 'end', ...ing, totalChunks });

const types = (o: WorkOutcome) => o.events.map((e) => e.type);
const COMPLETION = ['silver.completed', 'gold.completed', 'ingestion.completed'];

describe('TransformService: segments, exactly once and completion', () => {
  let pool: pg.Pool;
  /** Builds a segment only when every chunk has arrived (SEGMENT_ROWS far above these tests' sizes). */
  let service: TransformService;

  beforeAll(() => {
    pool = testPool();
    service = transformService(pool, { SEGMENT_ROWS: 1_000 });
  });
  afterAll(async () => {
    await pool.end();
  });

  async function state(ingestionNo: number) {
    const { rows } = await pool.query(
      `SELECT state, silver_chunks, silver_rows::int, rejected_rows::int, silver_completed_at IS NOT NULL AS silver_done,
              gold_completed_at IS NOT NULL AS gold_done, completed_at IS NOT NULL AS done, gold_rows::int,
              (SELECT count(*)::int FROM silver.trips t WHERE t.ingestion_no = i.ingestion_no) AS silver_trips,
              (SELECT count(*)::int FROM meta.segments s WHERE s.ingestion_no = i.ingestion_no) AS segments,
              (SELECT sum(trip_count)::int FROM gold.trip_groups WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = 'Onceville ' || i.ingestion_no)) AS group_trips
       FROM meta.ingestions i WHERE ingestion_no = $1`,
      [ingestionNo],
    );
    return rows[0];
  }

  it('counts a redelivered chunk once, and re-publishes completion with the same event ids', async () => {
    const ing = await createIngestion(pool, { totalChunks: 2, bronzeCompleted: true, totalRows: 50 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.1, lat: 59.9 };
    await generateBronze(pool, ing.ingestionNo, 2, 30, at, 0);
    await generateBronze(pool, ing.ingestionNo, 32, 20, at, 1);

    const first = await service.handleChunk(chunk(ing, 0, 2, 30));
    expect(first).toMatchObject({ firstDelivery: true, built: null, events: [] });
    const again = await service.handleChunk(chunk(ing, 0, 2, 30));
    expect(again).toMatchObject({ firstDelivery: false, built: null, events: [] });
    // The chunk waits for its segment: nothing in silver or gold yet.
    expect(await state(ing.ingestionNo)).toMatchObject({ silver_chunks: 0, silver_trips: 0, group_trips: null });

    const last = await service.handleChunk(chunk(ing, 1, 32, 20));
    expect(last.built).toMatchObject({ chunks: 2, rows: 50 });
    expect(types(last)).toEqual(['silver.progress', ...COMPLETION]);
    expect(await state(ing.ingestionNo)).toMatchObject({
      state: 'completed',
      silver_chunks: 2,
      silver_rows: 50,
      silver_trips: 50,
      gold_rows: 50,
      group_trips: 50,
      segments: 1,
      silver_done: true,
      gold_done: true,
      done: true,
    });

    // A crash after the commit replays the message: nothing is written, the same events go out again.
    const replay = await service.handleChunk(chunk(ing, 1, 32, 20));
    expect(replay).toMatchObject({ firstDelivery: false, built: null });
    expect(replay.events).toEqual(last.events.slice(1));
    expect(replay.events.map((e) => e.eventId)).toEqual(COMPLETION.map((t) => `${t}:${ing.ingestionId}`));
    expect(await state(ing.ingestionNo)).toMatchObject({
      silver_trips: 50,
      gold_rows: 50,
      group_trips: 50,
      segments: 1,
    });
  });

  it('builds a segment once SEGMENT_ROWS rows wait, and the rest when every chunk has arrived', async () => {
    const batched = transformService(pool, { SEGMENT_ROWS: 25 });
    const ing = await createIngestion(pool, { totalChunks: 3, bronzeCompleted: true, totalRows: 60 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.6, lat: 59.9 };
    for (const [seq, first] of [2, 22, 42].entries()) await generateBronze(pool, ing.ingestionNo, first, 20, at, seq);

    expect((await batched.handleChunk(chunk(ing, 0, 2, 20))).built).toBeNull();
    const c1 = await batched.handleChunk(chunk(ing, 1, 22, 20));
    expect(c1.built).toMatchObject({ chunks: 2, rows: 40 });
    expect(types(c1)).toEqual(['silver.progress']);
    expect(c1.events[0].data).toMatchObject({ chunksDone: 2, totalChunks: 3, validRows: 40 });
    // Built, but not counted until the ingestion completes: its segment waits detached.
    expect(await state(ing.ingestionNo)).toMatchObject({
      silver_rows: 40,
      gold_rows: 40,
      silver_trips: 0,
      group_trips: null,
      segments: 1,
      done: false,
    });

    const c2 = await batched.handleChunk(chunk(ing, 2, 42, 20));
    expect(c2.built).toMatchObject({ chunks: 1, rows: 20 });
    expect(types(c2)).toEqual(['silver.progress', ...COMPLETION]);
    expect(await state(ing.ingestionNo)).toMatchObject({
      state: 'completed',
      silver_trips: 60,
      gold_rows: 60,
      group_trips: 60,
      segments: 2,
    });
    // Every segment is a partition of silver.trips, with the covering indexes of the area queries.
    const { rows } = await pool.query<{ partition: string; indexes: number }>(
      `SELECT c.relname AS partition, (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = c.oid) AS indexes
         FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
        WHERE h.inhparent = 'silver.trips'::regclass
          AND c.relname IN (SELECT 'trips_' || segment_no FROM meta.segments WHERE ingestion_no = $1)`,
      [ing.ingestionNo],
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.indexes).toBe(2);
  });

  it('counts nothing of an ingestion that fails after building segments, and the sweep drops them', async () => {
    const batched = transformService(pool, { SEGMENT_ROWS: 25 });
    const ing = await createIngestion(pool, { totalChunks: 3, bronzeCompleted: true, totalRows: 60 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.7, lat: 59.9 };
    for (const [seq, first] of [2, 22, 42].entries()) await generateBronze(pool, ing.ingestionNo, first, 20, at, seq);
    await batched.handleChunk(chunk(ing, 0, 2, 20));
    const built = (await batched.handleChunk(chunk(ing, 1, 22, 20))).built!;
    expect(built).toMatchObject({ rows: 40 });
    const staged = async () => {
      const { rows } = await pool.query<{ counts: number; latest: number; partitions: number; region_rows: number }>(
        `SELECT (SELECT count(*)::int FROM gold.ingestion_region_counts WHERE ingestion_no = $1) AS counts,
                (SELECT count(*)::int FROM gold.ingestion_region_latest WHERE ingestion_no = $1) AS latest,
                (SELECT count(*)::int FROM unnest($2::text[]) p WHERE to_regclass(p) IS NOT NULL) AS partitions,
                (SELECT count(*)::int FROM gold.weekly_region_counts w JOIN silver.regions r USING (region_id)
                  WHERE r.name = $3) AS region_rows`,
        [ing.ingestionNo, SEGMENTED_TABLES.map((t) => partitionOf(t, built.segmentNo)), at.region],
      );
      return rows[0];
    };
    expect(await staged()).toMatchObject({ counts: 1, latest: 1, partitions: 5, region_rows: 0 });

    await batched.fail(ing.ingestionId, 'test_failure', 'failed on purpose');
    // A chunk arriving after the failure builds nothing.
    expect((await batched.handleChunk(chunk(ing, 2, 42, 20))).built).toBeNull();
    const merger = new SegmentMerger(pool, new SegmentRepository(), { ...testEnv(), MERGE_INTERVAL_MS: 0 });
    expect(await merger.discardFailed()).toBeGreaterThanOrEqual(1);
    expect(await staged()).toEqual({ counts: 0, latest: 0, partitions: 0, region_rows: 0 });
    expect(await state(ing.ingestionNo)).toMatchObject({
      state: 'failed',
      silver_trips: 0,
      group_trips: null,
      segments: 0,
    });
  });

  it('lets segments grow with the ingestion: each waits for as many rows as are already built, up to SEGMENT_MAX_ROWS', async () => {
    const growing = transformService(pool, { SEGMENT_ROWS: 10, SEGMENT_MAX_ROWS: 40 });
    const ing = await createIngestion(pool, { totalChunks: 12, bronzeCompleted: true, totalRows: 120 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.8, lat: 59.9 };
    const sizes: number[] = [];
    for (let seq = 0; seq < 12; seq++) {
      await generateBronze(pool, ing.ingestionNo, 2 + seq * 10, 10, at, seq);
      const outcome = await growing.handleChunk(chunk(ing, seq, 2 + seq * 10, 10));
      if (outcome.built) sizes.push(outcome.built.rows);
    }
    // 10 (first), 10 (10 built), 20 (20 built), 40 (40 built), then the last 40 rows once all arrived.
    expect(sizes).toEqual([10, 10, 20, 40, 40]);
    expect(await state(ing.ingestionNo)).toMatchObject({ state: 'completed', silver_trips: 120, segments: 5 });
  });

  it('builds a backlog in segments of at most SEGMENT_MAX_ROWS rows, one transaction each', async () => {
    const ing = await createIngestion(pool, { totalChunks: 5, bronzeCompleted: true, totalRows: 50 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.9, lat: 59.9 };
    // Five chunks arrive while nothing is built (SEGMENT_ROWS 1 000): the backlog.
    for (let seq = 0; seq < 4; seq++) {
      await generateBronze(pool, ing.ingestionNo, 2 + seq * 10, 10, at, seq);
      expect((await service.handleChunk(chunk(ing, seq, 2 + seq * 10, 10))).built).toBeNull();
    }
    await generateBronze(pool, ing.ingestionNo, 42, 10, at, 4);
    const small = transformService(pool, { SEGMENT_ROWS: 10, SEGMENT_MAX_ROWS: 20 });
    // Each build's events are published once it has committed, before the next build starts: what
    // the database holds at each publish shows it.
    const published: { types: string[]; segments: number }[] = [];
    const last = await small.handleChunk(chunk(ing, 4, 42, 10), async (events) => {
      published.push({ types: events.map((e) => e.type), segments: (await state(ing.ingestionNo)).segments });
    });
    expect(types(last)).toEqual(['silver.progress', 'silver.progress', 'silver.progress', ...COMPLETION]);
    expect(published).toEqual([
      { types: ['silver.progress'], segments: 1 },
      { types: ['silver.progress'], segments: 2 },
      { types: ['silver.progress', ...COMPLETION], segments: 3 },
    ]);
    const { rows } = await pool.query<{ rows: number }>(
      'SELECT rows::int FROM meta.segments WHERE ingestion_no = $1 ORDER BY segment_no',
      [ing.ingestionNo],
    );
    expect(rows.map((r) => r.rows)).toEqual([20, 20, 10]);
    expect(await state(ing.ingestionNo)).toMatchObject({ state: 'completed', silver_trips: 50, gold_rows: 50 });
  });

  it('lets the end item complete an ingestion whose chunks were all built before bronze completed', async () => {
    const eager = transformService(pool, { SEGMENT_ROWS: 1 });
    const ing = await createIngestion(pool, { totalChunks: null, bronzeCompleted: false });
    await generateBronze(pool, ing.ingestionNo, 2, 10, {
      region: `Onceville ${ing.ingestionNo}`,
      lon: 31.1,
      lat: 59.9,
    });
    const built = await eager.handleChunk(chunk(ing, 0, 2, 10));
    expect(types(built)).toEqual(['silver.progress']);
    await pool.query(
      'UPDATE meta.ingestions SET total_chunks = 1, bronze_chunks = 1, bronze_completed_at = now() WHERE ingestion_no = $1',
      [ing.ingestionNo],
    );

    const first = await eager.handleEnd(end(ing, 1));
    expect(first).toMatchObject({ firstDelivery: true, built: null });
    expect(types(first)).toEqual(COMPLETION);
    expect(first.events[2].data).toMatchObject({ rows: 10, validRows: 10, rejectedRows: 0 });
    const replay = await eager.handleEnd(end(ing, 1));
    expect(replay).toMatchObject({ firstDelivery: false, events: first.events });
  });

  it('publishes completion once when the end item arrives after the chunk that completed the ingestion', async () => {
    const ing = await createIngestion(pool, { totalChunks: 1, bronzeCompleted: true });
    await generateBronze(pool, ing.ingestionNo, 2, 5, { region: `Onceville ${ing.ingestionNo}`, lon: 32.1, lat: 59.9 });
    expect(types(await service.handleChunk(chunk(ing, 0, 2, 5)))).toEqual(['silver.progress', ...COMPLETION]);
    expect(await service.handleEnd(end(ing, 1))).toMatchObject({ firstDelivery: true, built: null, events: [] });
  });

  it('waits for the last chunk when the end item comes first', async () => {
    const ing = await createIngestion(pool, { totalChunks: 2, bronzeCompleted: true });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 33.1, lat: 59.9 };
    await generateBronze(pool, ing.ingestionNo, 2, 5, at, 0);
    await generateBronze(pool, ing.ingestionNo, 7, 5, at, 1);
    expect(await service.handleChunk(chunk(ing, 1, 7, 5))).toMatchObject({ built: null, events: [] });
    expect(await service.handleEnd(end(ing, 2))).toMatchObject({ built: null, events: [] });
    const last = await service.handleChunk(chunk(ing, 0, 2, 5));
    expect(last.built).toMatchObject({ chunks: 2, rows: 10 });
    expect(types(last)).toEqual(['silver.progress', ...COMPLETION]);
  });

  it('does not cut a small segment from the chunks that arrive while a build holds the others', async () => {
    const batched = transformService(pool, { SEGMENT_ROWS: 30, SEGMENT_MAX_ROWS: 100 });
    const ing = await createIngestion(pool, { totalChunks: 4, bronzeCompleted: false });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 36.6, lat: 59.9 };
    for (let seq = 0; seq < 4; seq++) await generateBronze(pool, ing.ingestionNo, 2 + seq * 10, 10, at, seq);
    for (const seq of [0, 1]) expect((await batched.handleChunk(chunk(ing, seq, 2 + seq * 10, 10))).built).toBeNull();
    // A build in flight holds chunks 0 and 1 (its transaction has claimed them).
    const inFlight = await pool.connect();
    try {
      await inFlight.query('BEGIN');
      await inFlight.query(
        'SELECT 1 FROM meta.silver_chunks WHERE ingestion_no = $1 AND segment_no IS NULL FOR UPDATE',
        [ing.ingestionNo],
      );
      // 30 rows wait, but only chunk 2's 10 are free: too few for a segment of their own.
      expect((await batched.handleChunk(chunk(ing, 2, 22, 10))).built).toBeNull();
    } finally {
      await inFlight.query('ROLLBACK');
      inFlight.release();
    }
    // The build in flight rolled back: the next item takes all four chunks.
    expect((await batched.handleChunk(chunk(ing, 3, 32, 10))).built).toMatchObject({ chunks: 4, rows: 40 });
  });

  it('completes every ingestion when its work items are handled concurrently, in any order', async () => {
    // Two consumers (TRANSFORMER_CONCURRENCY) take an ingestion's items from different partitions at
    // once. An item that finds no segment due must not hold waiting chunks out of the build that is
    // due meanwhile, or they wait for a trigger that never comes.
    const ingestions = await Promise.all(
      Array.from({ length: 80 }, async (_, k) => {
        const ing = await createIngestion(pool, { totalChunks: 3, bronzeCompleted: true, totalRows: 15 });
        const at = { region: `Onceville ${ing.ingestionNo}`, lon: 35 + k / 10, lat: 59.9 };
        for (let seq = 0; seq < 3; seq++) await generateBronze(pool, ing.ingestionNo, 2 + seq * 5, 5, at, seq);
        return ing;
      }),
    );
    // A build holds up to three connections (its transaction, a bronze reader, a dictionary insert).
    const wide = new pg.Pool({ connectionString: testEnv().DATABASE_URL, max: 12 });
    const concurrent = transformService(wide, { SEGMENT_ROWS: 1_000 });
    try {
      for (const [k, ing] of ingestions.entries()) {
        const items = [
          () => concurrent.handleChunk(chunk(ing, 0, 2, 5)),
          () => concurrent.handleChunk(chunk(ing, 1, 7, 5)),
          () => concurrent.handleChunk(chunk(ing, 2, 12, 5)),
          () => concurrent.handleEnd(end(ing, 3)),
        ];
        await Promise.all([...items.slice(k % 4), ...items.slice(0, k % 4)].map((handle) => handle()));
      }
    } finally {
      await wide.end();
    }
    for (const ing of ingestions)
      expect(await state(ing.ingestionNo)).toMatchObject({ state: 'completed', silver_trips: 15, gold_rows: 15 });
  });

  it('completes a header-only upload on its end item', async () => {
    const ing = await createIngestion(pool, { totalChunks: 0, bronzeCompleted: true, totalRows: 0 });
    expect(types(await service.handleEnd(end(ing, 0)))).toEqual(COMPLETION);
    expect(await state(ing.ingestionNo)).toMatchObject({ state: 'completed', done: true, segments: 0 });
  });

  it('refuses to build a chunk that does not match bronze, writing nothing; a failed ingestion builds no more', async () => {
    const ing = await createIngestion(pool, { totalChunks: 1, bronzeCompleted: true });
    await generateBronze(pool, ing.ingestionNo, 2, 5, { region: `Onceville ${ing.ingestionNo}`, lon: 34.1, lat: 59.9 });
    const error = await service.handleChunk(chunk(ing, 0, 2, 6)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentMessageError);
    expect((error as PermanentMessageError).code).toBe('bronze_rows_mismatch');
    expect(await state(ing.ingestionNo)).toMatchObject({ silver_chunks: 0, silver_trips: 0, segments: 0 });

    const failed = await service.fail(ing.ingestionId, 'bronze_rows_mismatch', 'boom');
    expect(failed).toMatchObject({
      eventId: `ingestion.failed:${ing.ingestionId}`,
      data: { stage: 'silver', code: 'bronze_rows_mismatch' },
    });
    const { rows } = await pool.query(
      'SELECT state, error_stage, error_code FROM meta.ingestions WHERE ingestion_no = $1',
      [ing.ingestionNo],
    );
    expect(rows[0]).toEqual({ state: 'failed', error_stage: 'silver', error_code: 'bronze_rows_mismatch' });
    // Its waiting chunks stay out of silver and gold.
    expect(await service.handleChunk(chunk(ing, 0, 2, 6))).toMatchObject({ built: null, events: [] });
    expect(await state(ing.ingestionNo)).toMatchObject({ state: 'failed', done: false, silver_trips: 0, gold_rows: 0 });
  });

  it('refuses work items for an unknown or different ingestion', async () => {
    const ing = await createIngestion(pool);
    await expect(service.handleChunk(chunk({ ...ing, ingestionNo: 999_999 }, 0, 2, 1))).rejects.toMatchObject({
      code: 'unknown_ingestion',
    });
    const other = await createIngestion(pool);
    await expect(service.handleChunk(chunk({ ...ing, ingestionNo: other.ingestionNo }, 0, 2, 1))).rejects.toMatchObject(
      { code: 'ingestion_mismatch' },
    );
    await expect(service.handleEnd(end({ ...ing, ingestionId: 'not-a-uuid' }, 0))).rejects.toMatchObject({
      code: 'invalid_work_item',
    });
  });
});
