import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { REQUIRED_COLUMNS } from '#contracts';
import { ingestFile, startPipeline, upload, type Pipeline, SAMPLE_CSV } from '#testing';

const SAMPLE = SAMPLE_CSV;
const OK = 'test/fixtures/csv/ok';
const NOT_OK = 'test/fixtures/csv/not-ok';

/** An independent reading of a fixture (csv-parse, not our scanner): header + records. */
function readCsv(file: string): { header: string[]; records: string[][] } {
  let bytes = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const rows = parse(bytes, { bom: true, relax_column_count: true, skip_empty_lines: true });
  return { header: rows[0].map((h) => h.trim().toLowerCase()), records: rows.slice(1) };
}

describe('ingestion pipeline end to end (gateway → Kafka → bronze → silver → gold)', () => {
  let pipeline: Pipeline;
  const count = async (sql: string, params: unknown[]) => Number((await pipeline.pool.query(sql, params)).rows[0].n);
  const ingestionCount = () => count('SELECT count(*) AS n FROM meta.ingestions', []);

  beforeAll(async () => {
    pipeline = await startPipeline('pipeline');
  }, 180_000);
  afterAll(() => pipeline?.stop());

  it('lands the 100-row sample in every layer with lineage', async () => {
    const groupsBefore = await count('SELECT coalesce(sum(trip_count), 0) AS n FROM gold.trip_groups', []);
    const done = await ingestFile(pipeline, SAMPLE);
    expect(done.state).toBe('completed');
    const no = done.ingestion_no;
    expect(await count('SELECT count(*) AS n FROM bronze.trips WHERE ingestion_no = $1', [no])).toBe(100);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1', [no])).toBe(100);
    expect(await count('SELECT count(*) AS n FROM silver.rejects WHERE ingestion_no = $1', [no])).toBe(0);
    expect((await count('SELECT coalesce(sum(trip_count), 0) AS n FROM gold.trip_groups', [])) - groupsBefore).toBe(
      100,
    );

    const { rows } = await pipeline.pool.query(
      'SELECT line_no, region, origin_coord, destination_coord, datetime, datasource FROM bronze.trips WHERE ingestion_no = $1 ORDER BY line_no',
      [no],
    );
    expect(rows.map((r) => Number(r.line_no))).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    const { records } = readCsv(SAMPLE);
    expect(rows.map((r) => [r.region, r.origin_coord, r.destination_coord, r.datetime, r.datasource])).toEqual(records);

    // Silver is typed: POINT (lon lat) — the first sample row is in Prague (lon 14.49, lat 50.00).
    const first = await pipeline.pool.query(
      'SELECT origin_lon, origin_lat, occurred_at::text AS t FROM silver.trips WHERE ingestion_no = $1 AND line_no = 2',
      [no],
    );
    expect(first.rows[0]).toEqual({
      origin_lon: 14.4973794438195,
      origin_lat: 50.00136875782316,
      t: '2018-05-28 09:03:40',
    });
  });

  const okFiles = readdirSync(OK).filter((f) => !f.endsWith('.md'));
  it.each(okFiles)('accepts ok/%s: every record lands, none rejected', async (name) => {
    const file = join(OK, name);
    const { header, records } = readCsv(file);
    const headers: Record<string, string> = name.endsWith('.gz')
      ? { 'content-type': 'application/gzip' }
      : { 'content-type': 'text/csv' };
    const done = await ingestFile(pipeline, file, headers);
    const no = done.ingestion_no;
    expect(await count('SELECT count(*) AS n FROM silver.rejects WHERE ingestion_no = $1', [no])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM bronze.trips WHERE ingestion_no = $1', [no])).toBe(records.length);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1', [no])).toBe(records.length);
    // Bronze keeps each schema column's text exactly, whatever the column order in the file.
    const idx = REQUIRED_COLUMNS.map((c) => header.indexOf(c));
    const { rows } = await pipeline.pool.query(
      'SELECT region, origin_coord, destination_coord, datetime, datasource FROM bronze.trips WHERE ingestion_no = $1 ORDER BY line_no',
      [no],
    );
    expect(rows.map((r) => REQUIRED_COLUMNS.map((c) => r[c]))).toEqual(records.map((rec) => idx.map((i) => rec[i])));
  });

  it('rejects a file with a missing column with 422 and writes nothing', async () => {
    const before = await ingestionCount();
    const res = await upload(pipeline.gateway.url, join(NOT_OK, 'missing-column.csv'));
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('missing_columns');
    expect(await ingestionCount()).toBe(before);
  });

  it.each([
    ['empty.csv', 400, 'empty_body'],
    ['binary.bin', 400, 'not_csv'],
  ])('rejects not-ok/%s with %i %s and writes nothing', async (name, status, code) => {
    const before = await ingestionCount();
    const res = await upload(pipeline.gateway.url, join(NOT_OK, name));
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
    expect(await ingestionCount()).toBe(before);
  });

  it('rejects each bad row with its line number and reason while every good row lands', async () => {
    const expected = JSON.parse(readFileSync(join(NOT_OK, 'bad-rows.expected.json'), 'utf8')) as {
      rows: number;
      rejects: { line: number; reason: string }[];
    };
    const done = await ingestFile(pipeline, join(NOT_OK, 'bad-rows.csv'));
    const no = done.ingestion_no;
    const { rows } = await pipeline.pool.query(
      'SELECT line_no, reason FROM silver.rejects WHERE ingestion_no = $1 ORDER BY line_no',
      [no],
    );
    expect(rows.map((r) => ({ line: Number(r.line_no), reason: r.reason }))).toEqual(expected.rejects);
    expect(await count('SELECT count(*) AS n FROM bronze.trips WHERE ingestion_no = $1', [no])).toBe(expected.rows);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1', [no])).toBe(
      expected.rows - expected.rejects.length,
    );
    expect(Number(done.rejected_rows)).toBe(expected.rejects.length);
  });
});
