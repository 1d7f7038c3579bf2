import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '#db';
import { newIngestionId, startPipeline, upload, waitForIngestion, type Pipeline } from '#testing';

const DIR = join(repoRoot(), 'test', 'fixtures', 'bad-input');

type Outcome =
  { status: number; code: string; line?: number } | { silver: number; rejects: [line: number, reason: string][] };

const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Outcome>;

// The bad-input corpus (docs/bad-input.md): every file through the real pipeline, each with the
// outcome the table states. Accepted files must complete: a bad row never fails an ingestion.
describe('bad-input corpus (test/fixtures/bad-input, docs/bad-input.md)', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline('badinput', { UPLOAD_RATE_LIMIT_PER_MINUTE: '0' });
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('has at least 40 files, and the files, expected.json and docs/bad-input.md are what cases.mjs makes', async () => {
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(40);
    await expect(promisify(execFile)(process.execPath, [join(DIR, 'generate.mjs'), '--check'])).resolves.toBeDefined();
  });

  it.each(Object.entries(EXPECTED))('%s → %j', async (file, outcome) => {
    const ingestionId = newIngestionId();
    const contentType = file.endsWith('.gz') ? 'application/gzip' : 'text/csv';
    const res = await upload(pipeline.gateway.url, readFileSync(join(DIR, file)), {
      'content-type': contentType,
      'x-ingestion-id': ingestionId,
    });
    if ('status' in outcome) {
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: outcome.status,
        code: outcome.code,
      });
      if (outcome.line) expect(res.body.error?.details).toMatchObject({ line: outcome.line });
      return;
    }
    expect(res.status).toBe(202);
    const done = await waitForIngestion(pipeline.pool, ingestionId, 60_000);
    const rejects = await pipeline.pool.query<{ line_no: string; reason: string }>(
      'SELECT line_no, reason FROM silver.rejects WHERE ingestion_no = $1 ORDER BY line_no',
      [done.ingestion_no],
    );
    expect({
      silver: Number(done.silver_rows),
      rejects: rejects.rows.map((r) => [Number(r.line_no), r.reason]),
    }).toEqual(outcome);
  });
});
