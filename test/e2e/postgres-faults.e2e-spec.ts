import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import {
  eventually,
  exactlyOnce,
  layerFacts,
  newIngestionId,
  startPipeline,
  upload,
  waitForIngestion,
  type Pipeline,
} from '#testing';
import { HEADER, rowGenerator } from '../../scripts/bench/generate.js';

const ROWS = 200_000;

/** Terminates every backend of the services (application_name `trips-<service>`), as a PostgreSQL restart would. */
async function terminateServiceBackends(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n
       FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'trips-%'`,
  );
  return Number(rows[0].n);
}

// A PostgreSQL restart (or a DBA terminating sessions) cuts every connection of every service at
// once, in whatever each was doing: a COPY into bronze, a segment build, a progress update.
describe('PostgreSQL faults: every service connection terminated mid-ingestion', () => {
  let pipeline: Pipeline;
  const file = join(tmpdir(), `pg-faults-${process.pid}.csv`);

  beforeAll(async () => {
    writeFileSync(file, HEADER + rowGenerator(11)(ROWS));
    pipeline = await startPipeline('pgfaults', {
      UPLOAD_CHUNK_BYTES: String(64 * 1024),
      SEGMENT_ROWS: String(20_000),
    });
  }, 180_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('keeps every service running and ends with every row exactly once', async () => {
    const { pool } = pipeline;
    const ingestionId = newIngestionId();
    const uploading = upload(pipeline.gateway.url, file, { 'content-type': 'text/csv', 'x-ingestion-id': ingestionId });
    const progress = async () =>
      (
        await pool.query<{ bronze_chunks: number; silver_chunks: number; state: string }>(
          'SELECT bronze_chunks, silver_chunks, state FROM meta.ingestions WHERE ingestion_id = $1',
          [ingestionId],
        )
      ).rows[0];
    // Cut the connections at three points: bronze under way, silver under way, and again later.
    let cuts = 0;
    for (const until of [
      (p: Awaited<ReturnType<typeof progress>>) => p?.bronze_chunks >= 3,
      (p: Awaited<ReturnType<typeof progress>>) => p?.silver_chunks >= 2,
      (p: Awaited<ReturnType<typeof progress>>) => p?.silver_chunks >= 15 || p?.state === 'completed',
    ]) {
      await eventually(async () => until(await progress()), {
        intervalMs: 20,
        timeoutMs: 60_000,
        what: 'the next point of the ingestion',
      }).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${await pipeline.diagnose(ingestionId)}`, { cause: error });
      });
      cuts += await terminateServiceBackends(pool);
    }
    expect(cuts).toBeGreaterThan(0);

    const res = await uploading;
    expect(res).toMatchObject({ status: 202, body: { ingestionId } });
    const done = await waitForIngestion(pool, ingestionId, 240_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await pipeline.diagnose(ingestionId)}`, { cause: error });
    });
    expect(Number(done.silver_rows)).toBe(ROWS);
    expect(await layerFacts(pool, done.ingestion_no, readFileSync(file), ROWS)).toEqual(exactlyOnce(ROWS));
    // No service exited: each took its connections back when they were cut.
    for (const service of [pipeline.gateway, pipeline.loader, pipeline.transformer]) {
      expect({ service: service.name, exitCode: service.child.exitCode, signal: service.child.signalCode }).toEqual({
        service: service.name,
        exitCode: null,
        signal: null,
      });
    }
  }, 600_000);
});
