import { parse } from 'csv-parse/sync';
import { ColumnsError, buildChunkRows, csvQuote, parseChunkRecords, planColumns } from './copy-rows.js';

const COLUMNS = ['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource'];
const verbatim = planColumns(COLUMNS);
const A = 'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,funny_car';
const B = 'Turin,POINT (7.6 44.9),POINT (7.7 45.0),2018-05-21 02:54:04,baba_car';

describe('planColumns', () => {
  it('copies records verbatim when the upload has exactly the schema columns, in its own order', () => {
    const reordered = ['datasource', 'region', 'datetime', 'origin_coord', 'destination_coord'];
    expect(planColumns(reordered)).toEqual({ mode: 'verbatim', width: 5, copyColumns: reordered });
  });

  it('projects the schema columns out of an upload with extra columns', () => {
    expect(
      planColumns(['id', 'datasource', 'region', 'note', 'datetime', 'origin_coord', 'destination_coord']),
    ).toEqual({
      mode: 'project',
      width: 7,
      copyColumns: COLUMNS,
      indices: [2, 5, 6, 4, 1],
    });
  });

  it('refuses a header that lacks or repeats a schema column', () => {
    expect(() => planColumns(['region', 'origin_coord', 'destination_coord', 'datetime'])).toThrow(ColumnsError);
    expect(() => planColumns([...COLUMNS, 'region'])).toThrow(/repeat region/);
  });
});

describe('buildChunkRows (verbatim)', () => {
  it('prefixes every record with ingestion and physical line number, keeping its bytes (CRLF, quoted newlines, blank lines)', () => {
    const quoted = 'Turin,"POINT (7.6 44.9)","POINT (7.7\r\n45.0)",2018-05-21 02:54:04,"say ""hi"""';
    const value = Buffer.from(`${A}\r\n\r\n${quoted}\r\n${B}\n`);
    const rows = buildChunkRows(value, 9, 42, verbatim);
    expect(rows.good.toString()).toBe(`42,9,${A}\n42,11,${quoted}\n42,13,${B}\n`);
    expect(rows).toMatchObject({ rows: 3, goodRows: 3, badRows: 0, firstLine: 9, lastLine: 13 });
    expect(rows.bad.length).toBe(0);
    // What PostgreSQL's CSV parser will read: the uploaded field values, CR LF inside quotes included.
    expect(parse(rows.good)[1]).toEqual([
      '42',
      '11',
      'Turin',
      'POINT (7.6 44.9)',
      'POINT (7.7\r\n45.0)',
      '2018-05-21 02:54:04',
      'say "hi"',
    ]);
  });

  it('writes multi-digit line numbers and handles a record without a final line break', () => {
    const value = Buffer.from(`${A}\n${B}`);
    const rows = buildChunkRows(value, 1_234_567, 7, verbatim);
    expect(rows.good.toString()).toBe(`7,1234567,${A}\n7,1234568,${B}\n`);
    expect(buildChunkRows(Buffer.from(`${A}\n`), 10, 1, verbatim).good.toString()).toBe(`1,10,${A}\n`);
    expect(buildChunkRows(Buffer.from(`${A}\n`), 99, 1, verbatim).good.toString()).toBe(`1,99,${A}\n`);
  });

  it('keeps records with the wrong field count whole, as raw text', () => {
    const value = Buffer.from(`${A}\nPrague,only,three\n${A},extra\n"a,b",c,d,e,f\n`);
    const rows = buildChunkRows(value, 2, 5, verbatim);
    expect(rows.good.toString()).toBe(`5,2,${A}\n5,5,"a,b",c,d,e,f\n`);
    expect(rows.bad.toString()).toBe(`5,3,"Prague,only,three"\n5,4,${csvQuote(`${A},extra`)}\n`);
    expect(rows).toMatchObject({ rows: 4, goodRows: 2, badRows: 2, badReasons: { field_count: 2 } });
    expect(parse(rows.bad)).toEqual([
      ['5', '3', 'Prague,only,three'],
      ['5', '4', `${A},extra`],
    ]);
  });

  it('keeps an unterminated quoted record as raw text without the line break that closed the upload', () => {
    const value = Buffer.from(`${A}\nTurin,"open,x,y,z,w\r\nmore\r\n`);
    const rows = buildChunkRows(value, 2, 1, verbatim);
    expect(rows.good.toString()).toBe(`1,2,${A}\n`);
    expect(parse(rows.bad)).toEqual([['1', '3', 'Turin,"open,x,y,z,w\r\nmore']]);
    expect(rows).toMatchObject({ rows: 2, lastLine: 3, badReasons: { unterminated: 1 } });
  });

  it('keeps records that are not valid UTF-8 or contain NUL as lossy raw text; the rest of the chunk stays on the fast path', () => {
    const invalid = Buffer.concat([Buffer.from('Br'), Buffer.from([0xff, 0xfe]), Buffer.from('no,a,b,c,d')]);
    const nul = Buffer.from('Pra\0gue,a,b,c,d');
    const value = Buffer.concat([Buffer.from(`${A}\n`), invalid, Buffer.from('\n'), nul, Buffer.from(`\n${B}\n`)]);
    const rows = buildChunkRows(value, 2, 3, verbatim);
    expect(rows.good.toString()).toBe(`3,2,${A}\n3,5,${B}\n`);
    expect(parse(rows.bad)).toEqual([
      ['3', '3', 'Br\uFFFD\uFFFDno,a,b,c,d'],
      ['3', '4', 'Pra\uFFFDgue,a,b,c,d'],
    ]);
    expect(rows.badReasons).toEqual({ invalid_encoding: 2 });
  });

  it('accepts multi-byte UTF-8 on the fast path', () => {
    const value = Buffer.from('Zürich,"POINT (8.5 47.3)",POINT (8.6 47.4),2018-01-01 00:00:00,ünicode\n');
    const rows = buildChunkRows(value, 2, 1, verbatim);
    expect(rows.good.toString()).toBe(`1,2,${value.toString()}`);
    expect(rows.badRows).toBe(0);
  });

  it('describes an empty chunk as an empty line range', () => {
    expect(buildChunkRows(Buffer.alloc(0), 50, 1, verbatim)).toMatchObject({
      rows: 0,
      firstLine: 50,
      lastLine: 49,
      goodRows: 0,
      badRows: 0,
    });
  });
});

describe('buildChunkRows (extra columns)', () => {
  const columns = ['id', 'datasource', 'region', 'datetime', 'origin_coord', 'destination_coord', 'note'];
  const plan = planColumns(columns);

  it('re-serializes only the schema fields, in schema order, CSV-escaped', () => {
    const value = Buffer.from(
      '1,funny_car,Prague,2018-05-28 09:03:40,POINT (14.4 50.0),"POINT (14.5 50.1)","drop, me"\r\n2,"a ""b""",Turin,,"x\ny",z,\n',
    );
    const rows = buildChunkRows(value, 2, 9, plan);
    expect(rows.good.toString()).toBe(
      '9,2,"Prague","POINT (14.4 50.0)","POINT (14.5 50.1)","2018-05-28 09:03:40","funny_car"\n' +
        '9,3,"Turin","x\ny","z","","a ""b"""\n',
    );
    expect(rows).toMatchObject({ rows: 2, goodRows: 2, firstLine: 2, lastLine: 3 });
  });

  it('sends records with the wrong field count or that csv-parse cannot read to raw text', () => {
    const value = Buffer.from('1,a,b,c,d,e\n1,a,b,c,d,e,f\n1,a,b"x",c,d,e,f\n');
    const rows = buildChunkRows(value, 2, 1, plan);
    expect(parse(rows.good)).toEqual([['1', '3', 'b', 'd', 'e', 'c', 'a']]);
    expect(parse(rows.bad)).toEqual([
      ['1', '2', '1,a,b,c,d,e'],
      ['1', '4', '1,a,b"x",c,d,e,f'],
    ]);
  });
});

describe('parseChunkRecords (fallback after COPY rejected a chunk)', () => {
  it('parses each record on its own: a stray CR is data, malformed records keep their raw text', () => {
    const reordered = ['datasource', 'region', 'datetime', 'origin_coord', 'destination_coord'];
    const value = Buffer.from('cheap\rmobile,Prague,2018-05-28 09:03:40,POINT (1 2),POINT (3 4)\nshort,row\n');
    const rows = buildChunkRows(value, 2, 1, planColumns(reordered));
    expect(parseChunkRecords(value, rows.records, reordered)).toEqual([
      {
        line: 2,
        values: {
          region: 'Prague',
          origin_coord: 'POINT (1 2)',
          destination_coord: 'POINT (3 4)',
          datetime: '2018-05-28 09:03:40',
          datasource: 'cheap\rmobile',
        },
        raw: 'cheap\rmobile,Prague,2018-05-28 09:03:40,POINT (1 2),POINT (3 4)',
      },
      { line: 3, raw: 'short,row' },
    ]);
  });
});
