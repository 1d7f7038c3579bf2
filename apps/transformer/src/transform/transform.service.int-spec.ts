import type pg from 'pg';
import type { BronzeChunkLoadedV1, BronzeCompletedWorkV1 } from '#contracts';
import { PermanentMessageError } from '#kafka';
import { testEnv, testPool } from '#testing';
import { createIngestion, generateBronze, type TestIngestion } from '../../test/bronze-fixtures.js';
import { TransformRepository } from './transform.repository.js';
import {
  completionEvents,
  silverCompletedEvent,
  TransformService,
  type ChunkOutcome,
  type EndOutcome,
} from './transform.service.js';

const chunk = (ing: TestIngestion, seq: number, firstLine: number, rows: number): BronzeChunkLoadedV1 => ({
  kind: 'chunk',
  ...ing,
  seq,
  firstLine,
  lastLine: firstLine + rows - 1,
  rows,
});
const end = (ing: TestIngestion, totalChunks: number): BronzeCompletedWorkV1 => ({ kind: 'end', ...ing, totalChunks });

describe('TransformService: exactly once and completion', () => {
  let pool: pg.Pool;
  let service: TransformService;

  beforeAll(() => {
    pool = testPool();
    service = new TransformService(pool, new TransformRepository(), testEnv());
  });
  afterAll(async () => {
    await pool.end();
  });

  /** What the consumer does with a work item: its transaction, then the gold fold it calls for. */
  async function handle<T extends ChunkOutcome | EndOutcome>(outcome: T) {
    const completion = outcome.gold ? await service.advanceGold(outcome.gold) : null;
    return { ...outcome, completion };
  }

  async function state(ingestionNo: number) {
    const { rows } = await pool.query(
      `SELECT state, silver_chunks, silver_rows::int, rejected_rows::int, silver_completed_at IS NOT NULL AS silver_done,
              gold_completed_at IS NOT NULL AS gold_done, completed_at IS NOT NULL AS done, gold_rows::int,
              (SELECT count(*)::int FROM silver.trips t WHERE t.ingestion_no = i.ingestion_no) AS silver_trips,
              (SELECT sum(trip_count)::int FROM gold.trip_groups WHERE region_id = (SELECT region_id FROM silver.regions WHERE name = 'Onceville ' || i.ingestion_no)) AS group_trips
       FROM meta.ingestions i WHERE ingestion_no = $1`,
      [ingestionNo],
    );
    return rows[0];
  }

  it('counts a redelivered chunk once, and re-publishes completion with the same event ids', async () => {
    const ing = await createIngestion(pool, { totalChunks: 2, bronzeCompleted: true, totalRows: 50 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.1, lat: 59.9 };
    await generateBronze(pool, ing.ingestionNo, 2, 30, at);
    await generateBronze(pool, ing.ingestionNo, 32, 20, at);

    const first = await handle(await service.handleChunk(chunk(ing, 0, 2, 30)));
    expect(first).toMatchObject({
      kind: 'transformed',
      counts: { totalRows: 30, validRows: 30, rejectedRows: 0 },
      silverCompleted: null,
      gold: null,
    });
    const again = await handle(await service.handleChunk(chunk(ing, 0, 2, 30)));
    expect(again).toEqual({
      kind: 'redelivered',
      ingestionId: ing.ingestionId,
      silverCompleted: null,
      gold: null,
      completion: null,
    });
    // Below GOLD_BATCH_ROWS the chunk waits in silver; gold gets it with the rest.
    expect(await state(ing.ingestionNo)).toMatchObject({
      silver_chunks: 1,
      silver_rows: 30,
      silver_trips: 30,
      gold_rows: 0,
      group_trips: null,
      done: false,
    });

    const last = await handle(await service.handleChunk(chunk(ing, 1, 32, 20)));
    expect(last.kind).toBe('transformed');
    expect(last.silverCompleted).toMatchObject({ validRows: 50, rejectedRows: 0 });
    expect(last.completion).toMatchObject({ validRows: 50, rejectedRows: 0 });
    expect(await state(ing.ingestionNo)).toMatchObject({
      state: 'completed',
      silver_chunks: 2,
      silver_rows: 50,
      silver_trips: 50,
      gold_rows: 50,
      group_trips: 50,
      silver_done: true,
      gold_done: true,
      done: true,
    });

    // A crash after the commit replays the message: nothing is written, the same events go out again.
    const replay = await handle(await service.handleChunk(chunk(ing, 1, 32, 20)));
    expect(replay.kind).toBe('redelivered');
    expect(silverCompletedEvent(ing.ingestionId, replay.silverCompleted!)).toEqual(
      silverCompletedEvent(ing.ingestionId, last.silverCompleted!),
    );
    expect(completionEvents(ing.ingestionId, replay.completion!)).toEqual(
      completionEvents(ing.ingestionId, last.completion!),
    );
    expect(completionEvents(ing.ingestionId, replay.completion!).map((e) => e.eventId)).toEqual([
      `gold.completed:${ing.ingestionId}`,
      `ingestion.completed:${ing.ingestionId}`,
    ]);
    expect(await state(ing.ingestionNo)).toMatchObject({
      silver_chunks: 2,
      silver_rows: 50,
      silver_trips: 50,
      gold_rows: 50,
      group_trips: 50,
    });
  });

  it('folds gold in batches once GOLD_BATCH_ROWS rows are pending, and completes it after a crash between silver and gold', async () => {
    const batched = new TransformService(pool, new TransformRepository(), { ...testEnv(), GOLD_BATCH_ROWS: 25 });
    const ing = await createIngestion(pool, { totalChunks: 3, bronzeCompleted: true, totalRows: 60 });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 30.6, lat: 59.9 };
    for (const first of [2, 22, 42]) await generateBronze(pool, ing.ingestionNo, first, 20, at);

    const c0 = await batched.handleChunk(chunk(ing, 0, 2, 20));
    expect(c0.gold).toBeNull();
    const c1 = await batched.handleChunk(chunk(ing, 1, 22, 20));
    expect(c1.gold).toEqual({ ingestionNo: ing.ingestionNo, kind: 'batch', republish: false });
    expect(await batched.advanceGold(c1.gold!)).toBeNull();
    expect(await state(ing.ingestionNo)).toMatchObject({
      silver_rows: 40,
      gold_rows: 40,
      group_trips: 40,
      done: false,
    });

    // The last chunk completes silver; the process dies before its fold. The redelivery folds and completes.
    const c2 = await batched.handleChunk(chunk(ing, 2, 42, 20));
    expect(c2).toMatchObject({ silverCompleted: { validRows: 60 }, gold: { kind: 'complete', republish: false } });
    expect(await state(ing.ingestionNo)).toMatchObject({
      silver_done: true,
      gold_rows: 40,
      gold_done: false,
      state: 'processing',
    });
    const replay = await batched.handleChunk(chunk(ing, 2, 42, 20));
    expect(replay).toMatchObject({
      kind: 'redelivered',
      silverCompleted: { validRows: 60 },
      gold: { kind: 'complete', republish: true },
    });
    expect(await batched.advanceGold(replay.gold!)).toMatchObject({ validRows: 60 });
    expect(await state(ing.ingestionNo)).toMatchObject({
      gold_rows: 60,
      group_trips: 60,
      gold_done: true,
      state: 'completed',
    });
  });

  it('lets the end item complete an ingestion whose chunks were all transformed before bronze completed', async () => {
    const ing = await createIngestion(pool, { totalChunks: null, bronzeCompleted: false });
    await generateBronze(pool, ing.ingestionNo, 2, 10, {
      region: `Onceville ${ing.ingestionNo}`,
      lon: 31.1,
      lat: 59.9,
    });
    const transformed = await handle(await service.handleChunk(chunk(ing, 0, 2, 10)));
    expect(transformed).toMatchObject({ silverCompleted: null, completion: null });
    await pool.query(
      'UPDATE meta.ingestions SET total_chunks = 1, bronze_chunks = 1, bronze_completed_at = now() WHERE ingestion_no = $1',
      [ing.ingestionNo],
    );

    const first = await handle(await service.handleEnd(end(ing, 1)));
    expect(first).toMatchObject({
      firstDelivery: true,
      silverCompleted: { validRows: 10 },
      completion: { validRows: 10, rejectedRows: 0 },
    });
    expect(first.completion!.durationMs).toBeGreaterThanOrEqual(0);
    const replay = await handle(await service.handleEnd(end(ing, 1)));
    expect(replay).toMatchObject({
      firstDelivery: false,
      silverCompleted: first.silverCompleted,
      completion: first.completion,
    });
  });

  it('publishes completion once when the end item arrives after the chunk that completed the ingestion', async () => {
    const ing = await createIngestion(pool, { totalChunks: 1, bronzeCompleted: true });
    await generateBronze(pool, ing.ingestionNo, 2, 5, { region: `Onceville ${ing.ingestionNo}`, lon: 32.1, lat: 59.9 });
    expect((await handle(await service.handleChunk(chunk(ing, 0, 2, 5)))).completion).not.toBeNull();
    expect(await handle(await service.handleEnd(end(ing, 1)))).toMatchObject({
      firstDelivery: true,
      silverCompleted: null,
      gold: null,
      completion: null,
    });
  });

  it('waits for the last chunk when the end item comes first', async () => {
    const ing = await createIngestion(pool, { totalChunks: 2, bronzeCompleted: true });
    const at = { region: `Onceville ${ing.ingestionNo}`, lon: 33.1, lat: 59.9 };
    await generateBronze(pool, ing.ingestionNo, 2, 5, at);
    await generateBronze(pool, ing.ingestionNo, 7, 5, at);
    expect((await handle(await service.handleChunk(chunk(ing, 1, 7, 5)))).completion).toBeNull();
    expect(await handle(await service.handleEnd(end(ing, 2)))).toMatchObject({
      silverCompleted: null,
      completion: null,
    });
    expect((await handle(await service.handleChunk(chunk(ing, 0, 2, 5)))).completion).toMatchObject({ validRows: 10 });
  });

  it('completes a header-only upload on its end item', async () => {
    const ing = await createIngestion(pool, { totalChunks: 0, bronzeCompleted: true, totalRows: 0 });
    expect(await handle(await service.handleEnd(end(ing, 0)))).toMatchObject({
      silverCompleted: { validRows: 0 },
      completion: { validRows: 0, rejectedRows: 0 },
    });
    expect(await state(ing.ingestionNo)).toMatchObject({ state: 'completed', done: true });
  });

  it('rejects a work item that does not match bronze, writing nothing, and fails the ingestion', async () => {
    const ing = await createIngestion(pool, { totalChunks: 1, bronzeCompleted: true });
    await generateBronze(pool, ing.ingestionNo, 2, 5, { region: `Onceville ${ing.ingestionNo}`, lon: 34.1, lat: 59.9 });
    const error = await service.handleChunk(chunk(ing, 0, 2, 6)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentMessageError);
    expect((error as PermanentMessageError).code).toBe('bronze_rows_mismatch');
    expect(await state(ing.ingestionNo)).toMatchObject({ silver_chunks: 0, silver_trips: 0 });
    const marker = await pool.query('SELECT 1 FROM meta.silver_chunks WHERE ingestion_no = $1', [ing.ingestionNo]);
    expect(marker.rowCount).toBe(0);

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
    // A failed ingestion never completes, but the chunks it still transforms reach gold.
    expect(await handle(await service.handleChunk(chunk(ing, 0, 2, 5)))).toMatchObject({
      silverCompleted: null,
      gold: { kind: 'batch' },
      completion: null,
    });
    expect(await state(ing.ingestionNo)).toMatchObject({
      state: 'failed',
      done: false,
      silver_trips: 5,
      gold_rows: 5,
      group_trips: 5,
    });
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
