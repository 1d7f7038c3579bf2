import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '#common';
import { repoRoot } from '#db';
import { CsvHeaderScanner, MAX_HEADER_BYTES, parseCsvHeader, type HeaderFound } from './csv-header.js';

const HEADER = 'region,origin_coord,destination_coord,datetime,datasource';
const fixture = (path: string) => readFileSync(join(repoRoot(), 'test/fixtures/csv', path));

/** Feeds `input` in pieces of `size` bytes, as a socket would. */
function scan(input: Buffer | string, size = 3): HeaderFound {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const scanner = new CsvHeaderScanner();
  for (let at = 0; at < buf.length; at += size) {
    const found = scanner.push(buf.subarray(at, at + size));
    if (found) {
      // What the scanner had not consumed yet plus the pieces not fed: the data part of the file.
      return { ...found, rest: Buffer.concat([found.rest, buf.subarray(at + size)]) };
    }
  }
  return scanner.end();
}

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('CsvHeaderScanner', () => {
  it.each([1, 2, 3, 7, 1000])('cuts the header at the first record terminator (pieces of %i bytes)', (size) => {
    const found = scan(`${HEADER}\r\nPrague,a,b,c,d\n`, size);
    expect(found.header.toString()).toBe(HEADER);
    expect(found.rest.toString()).toBe('Prague,a,b,c,d\n');
    expect(found.nextLine).toBe(2);
  });

  it('strips a UTF-8 BOM, even when it arrives split over pieces', () => {
    const found = scan(fixture('ok/bom.csv'), 1);
    expect(found.header.toString()).toBe(HEADER);
    expect(found.nextLine).toBe(2);
  });

  it('keeps newlines inside quoted header names and counts them in the line numbers', () => {
    const found = scan('"reg\nion",b\nx,y\n');
    expect(found.header.toString()).toBe('"reg\nion",b');
    expect(found.nextLine).toBe(3);
  });

  it('skips leading blank lines and numbers the data after them', () => {
    const found = scan(`\n  \r\n${HEADER}\nrow\n`);
    expect(found.header.toString()).toBe(HEADER);
    expect(found.nextLine).toBe(4);
  });

  it('accepts a header-only file without a final newline', () => {
    const found = scan(HEADER);
    expect(found.header.toString()).toBe(HEADER);
    expect(found.rest.length).toBe(0);
  });

  it.each([
    ['', 'nothing'],
    ['\ufeff', 'a BOM'],
    ['\ufeff \r\n\t\n\n', 'a BOM and whitespace'],
  ])('rejects %j (%s) as empty_body', (body) => {
    expect(appError(() => scan(body)).code).toBe('empty_body');
  });

  it('rejects a first line longer than 64 KiB as not_csv without reading further', () => {
    const scanner = new CsvHeaderScanner();
    const error = appError(() => {
      for (let i = 0; i < 100; i++) scanner.push(Buffer.alloc(4096, 0x61));
    });
    expect(error).toMatchObject({ status: 400, code: 'not_csv' });
    expect(MAX_HEADER_BYTES).toBe(65536);
  });

  it('rejects a 64 KiB+ header that arrives in one piece with its newline', () => {
    expect(appError(() => scan(`${'a'.repeat(MAX_HEADER_BYTES + 1)}\nrow\n`, 1 << 20)).code).toBe('not_csv');
  });
});

describe('parseCsvHeader', () => {
  const parse = (text: string | Buffer) => parseCsvHeader(Buffer.isBuffer(text) ? text : Buffer.from(text));

  it('accepts the columns in any order, trimmed and lower-cased, in file order', () => {
    expect(parse(' Datasource ,DATETIME,region,destination_coord,origin_coord')).toEqual({
      columns: ['datasource', 'datetime', 'region', 'destination_coord', 'origin_coord'],
      ignoredColumns: [],
    });
  });

  it('reports extra columns as ignored', () => {
    const header = fixture('ok/extra-columns.csv').toString().split('\n')[0];
    expect(parse(header)).toEqual({
      columns: ['trip_id', 'region', 'origin_coord', 'destination_coord', 'datetime', 'datasource', 'notes'],
      ignoredColumns: ['trip_id', 'notes'],
    });
  });

  it('unquotes quoted header names (with commas, escaped quotes and spaces around them)', () => {
    const result = parse('"region", "origin_coord" ,destination_coord,"datetime","datasource","a,""b"""');
    expect(result.columns).toEqual(['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource', 'a,"b"']);
    expect(result.ignoredColumns).toEqual(['a,"b"']);
  });

  it('rejects duplicate names (after trimming and lower-casing) with 422 duplicate_columns', () => {
    const error = appError(() => parse(`${HEADER},Region `));
    expect(error).toMatchObject({ status: 422, code: 'duplicate_columns', details: { duplicates: ['region'] } });
  });

  it('rejects missing columns with 422 missing_columns, listed in schema order', () => {
    const error = appError(() => parse('datetime,region,extra'));
    expect(error).toMatchObject({
      status: 422,
      code: 'missing_columns',
      details: { missing: ['origin_coord', 'destination_coord', 'datasource'], found: ['datetime', 'region', 'extra'] },
    });
    const fromFixture = appError(() => parse(fixture('not-ok/missing-column.csv').toString().split('\n')[0]));
    expect(fromFixture.details).toMatchObject({ missing: ['datasource'] });
  });

  it.each([
    ['invalid UTF-8', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d])],
    ['a NUL byte', Buffer.from(`region\0,${HEADER}`)],
    ['control characters', Buffer.from(`\x01\x02${HEADER}`)],
    ['an unterminated quote', Buffer.from(`"region,${HEADER}`)],
  ])('rejects a header with %s as not_csv', (_what, header) => {
    expect(appError(() => parseCsvHeader(header))).toMatchObject({ status: 400, code: 'not_csv' });
  });

  it('rejects random bytes and a PNG signature as not_csv when scanned and parsed', () => {
    for (const body of [
      fixture('not-ok/binary.bin'),
      Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(64, 7)]),
    ]) {
      const error = appError(() => parseCsvHeader(scan(body, 512).header));
      expect(error).toMatchObject({ status: 400, code: 'not_csv' });
    }
  });
});
