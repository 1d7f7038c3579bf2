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

/** A fixture's bytes after its header line (gunzipped), as the gateway cuts them into chunks. */
function fileBody(file: string): Buffer {
  let bytes = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const body = bytes.subarray(bytes.indexOf('\n') + 1);
  return body.at(-1) === 0x0a ? body : Buffer.concat([body, Buffer.from('\n')]);
}

/** `POINT (lon lat)` as numbers. */
function point(text: string): [number, number] {
  const m = /^POINT \((\S+) (\S+)\)$/.exec(text.trim());
  if (!m) throw new Error(`not a point: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

/** `YYYY-MM-DD H:MM:SS` (hour maybe unpadded) as `YYYY-MM-DD HH:MM:SS`. */
function timestamp(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`not a timestamp: ${text}`);
  return `${m[1]} ${m[2].padStart(2, '0')}:${m[3]}:${m[4]}`;
}

describe('ingestion pipeline end to end (gateway → Kafka → bronze → silver → gold)', () => {
  let pipeline: Pipeline;
  const count = async (sql: string, params: unknown[]) => Number((await pipeline.pool.query(sql, params)).rows[0].n);
  const ingestionCount = () => count('SELECT count(*) AS n FROM meta.ingestions', []);
  /** Bronze's records with their source lines (the bronze.records lineage view), in line order. */
  const bronzeRecords = async (no: number) =>
    (
      await pipeline.pool.query<{ line_no: string; record: Buffer }>(
        'SELECT line_no, record FROM bronze.records WHERE ingestion_no = $1 ORDER BY line_no',
        [no],
      )
    ).rows.map((r) => ({ line_no: Number(r.line_no), record: r.record }));
  /** Bronze's raw chunks put together in seq order. */
  const bronzeBytes = async (no: number) =>
    Buffer.concat(
      (
        await pipeline.pool.query<{ data: Buffer }>(
          'SELECT data FROM bronze.chunks WHERE ingestion_no = $1 ORDER BY seq',
          [no],
        )
      ).rows.map((r) => r.data),
    );

  beforeAll(async () => {
    pipeline = await startPipeline('pipeline');
  }, 180_000);
  afterAll(() => pipeline?.stop());

  it('lands the 100-row sample in every layer with lineage', async () => {
    const groupsBefore = await count('SELECT coalesce(sum(trip_count), 0) AS n FROM gold.trip_groups', []);
    const done = await ingestFile(pipeline, SAMPLE);
    expect(done.state).toBe('completed');
    const no = done.ingestion_no;
    expect(await count('SELECT count(*) AS n FROM bronze.records WHERE ingestion_no = $1', [no])).toBe(100);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1', [no])).toBe(100);
    expect(await count('SELECT count(*) AS n FROM silver.rejects WHERE ingestion_no = $1', [no])).toBe(0);
    expect((await count('SELECT coalesce(sum(trip_count), 0) AS n FROM gold.trip_groups', [])) - groupsBefore).toBe(
      100,
    );

    // Bronze keeps the uploaded bytes: the chunks put together are the file after its header, and
    // each record (with its source line) reads back as the file's record.
    expect((await bronzeBytes(no)).equals(fileBody(SAMPLE))).toBe(true);
    const rows = await bronzeRecords(no);
    expect(rows.map((r) => r.line_no)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    const { records } = readCsv(SAMPLE);
    expect(rows.map((r) => parse(r.record)[0])).toEqual(records);

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
    expect(await count('SELECT count(*) AS n FROM bronze.records WHERE ingestion_no = $1', [no])).toBe(records.length);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1', [no])).toBe(records.length);
    // Bronze keeps every record as uploaded (CRLF, quotes, extra columns and all): the chunks put
    // together are the file's bytes after its header, and each record, read back independently, is
    // the file's record.
    expect((await bronzeBytes(no)).equals(fileBody(file))).toBe(true);
    expect((await bronzeRecords(no)).map((r) => parse(r.record, { relax_column_count: true })[0])).toEqual(records);
    // Silver holds each schema column, typed, whatever the column order in the file and whatever
    // extra columns it has.
    const idx = REQUIRED_COLUMNS.map((c) => header.indexOf(c));
    const { rows } = await pipeline.pool.query(
      `SELECT r.name AS region, d.name AS datasource, t.origin_lon, t.origin_lat, t.destination_lon, t.destination_lat,
              to_char(t.occurred_at, 'YYYY-MM-DD HH24:MI:SS') AS occurred_at
         FROM silver.trips t JOIN silver.regions r USING (region_id) JOIN silver.datasources d USING (datasource_id)
        WHERE t.ingestion_no = $1 ORDER BY t.line_no`,
      [no],
    );
    expect(rows).toEqual(
      records.map((rec) => {
        const field = (c: (typeof REQUIRED_COLUMNS)[number]) => rec[idx[REQUIRED_COLUMNS.indexOf(c)]];
        const [origin_lon, origin_lat] = point(field('origin_coord'));
        const [destination_lon, destination_lat] = point(field('destination_coord'));
        return {
          region: field('region').trim(),
          datasource: field('datasource').trim(),
          origin_lon,
          origin_lat,
          destination_lon,
          destination_lat,
          occurred_at: timestamp(field('datetime')),
        };
      }),
    );
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
    expect(await count('SELECT count(*) AS n FROM bronze.records WHERE ingestion_no = $1', [no])).toBe(expected.rows);
    expect(await count('SELECT count(*) AS n FROM silver.trips WHERE ingestion_no = $1', [no])).toBe(
      expected.rows - expected.rejects.length,
    );
    expect(Number(done.rejected_rows)).toBe(expected.rejects.length);
  });
});
