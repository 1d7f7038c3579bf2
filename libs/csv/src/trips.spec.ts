import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { REQUIRED_COLUMNS, cellKey, subRow, todBucket, type Grid } from '#contracts';
import { splitRecords } from './scan.js';
import { parseNumberText, parseTrips, scanTripRecords, TripColumnsError, type ParsedChunk } from './trips.js';

const GRID: Grid = { cellDegrees: 0.01, bucketMinutes: 30 };
const COLS = [...REQUIRED_COLUMNS];
const OK = 'Prague,POINT (14.4378 50.0755),POINT (14.5 50.2),2018-05-01 07:05:09,funny_car';
const run = (text: string | Buffer, columns: readonly string[] = COLS, firstLine = 2, grid = GRID): ParsedChunk =>
  parseTrips(typeof text === 'string' ? Buffer.from(text) : text, firstLine, columns, grid);
const reasonOf = (text: string, columns: readonly string[] = COLS) => run(text, columns).rejects[0]?.reason ?? 'valid';
const row = (over: Partial<Record<(typeof COLS)[number], string>>) =>
  COLS.map((c) => over[c] ?? OK.split(',')[COLS.indexOf(c)]).join(',');

describe('parseTrips', () => {
  it('derives every silver value of a valid row', () => {
    const p = run(`${OK}\n`);
    expect(p).toMatchObject({
      records: 1,
      firstLine: 2,
      lastLine: 2,
      regions: ['Prague'],
      datasources: ['funny_car'],
      rejects: [],
    });
    const t = p.trips;
    expect(t.length).toBe(1);
    expect([t.lineNo[0], t.originLon[0], t.originLat[0], t.destinationLon[0], t.destinationLat[0]]).toEqual([
      2, 14.4378, 50.0755, 14.5, 50.2,
    ]);
    expect(t.originCell[0]).toBe(cellKey(14.4378, 50.0755, 0.01));
    expect(t.destinationCell[0]).toBe(cellKey(14.5, 50.2, 0.01));
    expect([t.originSub[0], t.destinationSub[0]]).toEqual([subRow(50.0755, 0.01), subRow(50.2, 0.01)]);
    expect(t.todBucket[0]).toBe(todBucket(7, 5, 9, 30));
    expect(t.occurredAt[0]).toBe((Date.UTC(2018, 4, 1, 7, 5, 9) - Date.UTC(2000, 0, 1)) / 1000);
  });

  it.each([
    ['field_count', `${OK},extra`],
    ['field_count', 'a,b'],
    ['invalid_encoding', `${OK}\uFFFD`],
    ['invalid_encoding', `${OK},\uFFFD`], // a raw record with U+FFFD is an encoding reject, not a field count one
    ['missing_region', row({ region: '  ' })],
    ['missing_datasource', row({ datasource: '' })],
    ['region_too_long', row({ region: 'x'.repeat(6000) })],
    ['region_too_long', row({ region: 'é'.repeat(201) })],
    ['valid', row({ region: ` ${'é'.repeat(200)} ` })], // 200 characters after trimming, 400 bytes
    ['datasource_too_long', row({ datasource: 'd'.repeat(201) })],
    ['bad_origin', row({ origin_coord: 'POINT (NaN 1)' })],
    ['bad_destination', row({ destination_coord: 'POINT (1e100 1)' })], // 3-digit exponent
    ['origin_out_of_range', row({ origin_coord: 'POINT (180.000001 0)' })],
    ['destination_out_of_range', row({ destination_coord: 'POINT (0 -90.5)' })],
    ['bad_datetime', row({ datetime: '2018-05-01 07:05:09Z' })],
    ['invalid_datetime', row({ datetime: '2018-02-29 10:00:00' })],
    ['invalid_datetime', row({ datetime: '0000-01-01 00:00:00' })],
    ['invalid_datetime', row({ datetime: '2018-01-01 24:00:00' })],
    ['valid', row({ datetime: '2020-02-29 10:00:00' })],
    ['valid', row({ datetime: '2018-05-01T7:05:09' })],
    ['valid', row({ datetime: ' \t2018-05-01 07:05:09\t ' })],
    ['valid', row({ origin_coord: ' \tpoint\t(\t-1.5E+01 \t .5 ) ', destination_coord: 'Point(5. -0)' })],
    ['valid', row({ region: ' \tPrague' })], // btrim trims spaces only: the name keeps the tab
  ])('rejects with %s: %j', (reason, text) => {
    expect(reasonOf(text)).toBe(reason);
  });

  it('checks in REJECT_REASONS order: the first failing check wins', () => {
    expect(reasonOf(row({ region: '', datasource: '', origin_coord: 'x' }))).toBe('missing_region');
    expect(reasonOf(row({ origin_coord: 'x', destination_coord: 'y', datetime: 'z' }))).toBe('bad_origin');
    expect(reasonOf(row({ origin_coord: 'POINT (200 0)', destination_coord: 'y' }))).toBe('bad_destination');
    expect(reasonOf(row({ region: '\uFFFD', datasource: '' }))).toBe('invalid_encoding');
  });

  it('keeps raw text for NUL and invalid UTF-8 (as U+FFFD) and for an unterminated quote', () => {
    const p = run(
      Buffer.concat([Buffer.from(`${OK}\nPra`), Buffer.from([0xff, 0]), Buffer.from(`gue,x,y,z,w\n${OK}\n"open,\n`)]),
    );
    expect(p.trips.length).toBe(2);
    expect(p.rejects).toEqual([
      { line: 3, reason: 'invalid_encoding', fields: null, raw: 'Pra\uFFFD\uFFFDgue,x,y,z,w' },
      { line: 5, reason: 'field_count', fields: null, raw: '"open,' },
    ]);
  });

  it('stores the fields of a reject as bronze held them', () => {
    expect(run(`"Pra""gue",x,POINT (1 2),2018-01-01 00:00:00, ds \n`).rejects[0]).toEqual({
      line: 2,
      reason: 'bad_origin',
      fields: {
        region: 'Pra"gue',
        origin_coord: 'x',
        destination_coord: 'POINT (1 2)',
        datetime: '2018-01-01 00:00:00',
        datasource: ' ds ',
      },
      raw: null,
    });
  });

  it('numbers lines physically: CRLF, blank lines, quoted newlines', () => {
    const p = run(`${OK}\r\n\r\n\n"Tu\nrin",POINT (7 45),POINT (7 45),2018-05-01 07:05:09,baba_car\r\n${OK}`, COLS, 10);
    expect(Array.from(p.trips.lineNo)).toEqual([10, 13, 15]);
    expect(p.regions).toEqual(['Prague', 'Tu\nrin']);
    expect([p.records, p.firstLine, p.lastLine]).toEqual([3, 10, 15]);
    expect(run('', COLS, 7)).toMatchObject({ records: 0, firstLine: 7, lastLine: 6 });
  });

  it('maps columns in any order and ignores extra columns', () => {
    const columns = ['note', 'datasource', 'datetime', 'destination_coord', 'origin_coord', 'region'];
    const p = run(
      'n,funny_car,2018-05-01 07:05:09,POINT (1 2),POINT (3 4),Prague\n"a""b",ds,2018-05-01 07:05:09,POINT (1 2),POINT (3 4),"x"y\n',
      columns,
    );
    expect(p.trips.length).toBe(1);
    expect([p.trips.originLon[0], p.trips.destinationLon[0]]).toEqual([3, 1]);
    // csv-parse, which read uploads with extra columns, cannot read `"x"y`: the record is kept raw.
    expect(p.rejects[0]).toMatchObject({ line: 3, reason: 'field_count', fields: null });
  });

  it('reads quotes as PostgreSQL COPY did for an upload with exactly the schema columns', () => {
    const p = run(
      'Pra"gue",POINT (1 2),"POINT (3 4)",2018-05-01 07:05:09,ds\nx,POINT (1 2),"POINT ""(3"" 4)",2018-05-01 07:05:09,ds\n',
    );
    expect(p.regions).toEqual(['Prague']);
    expect(p.rejects[0]).toMatchObject({
      line: 3,
      reason: 'bad_destination',
      fields: { destination_coord: 'POINT "(3" 4)' },
    });
  });

  it('goes the csv-parse way for the whole chunk when a CR outside quotes made COPY fail', () => {
    const p = run(`Pra"gue",POINT (1 2),POINT (3 4),2018-05-01 07:05:09,ds\n${OK}\rx\n`);
    // csv-parse cannot read line 2's quotes (COPY could); line 3's CR is data in its datasource.
    expect(p.rejects.map((r) => [r.line, r.reason])).toEqual([[2, 'field_count']]);
    expect(p.datasources).toEqual(['funny_car\rx']);
  });

  it('groups names by their btrim spelling, not by case', () => {
    const p = run(`${OK}\n${OK.replace('Prague', ' PRAGUE ')}\n${OK.replace('Prague', 'Prague ')}\n`);
    expect(p.regions).toEqual(['Prague', 'PRAGUE']);
    expect(Array.from(p.trips.regionIndex)).toEqual([0, 1, 0]);
  });

  it('puts points on cell and sub-row borders where chunk.sql does, negative coordinates too', () => {
    const p = run(row({ origin_coord: 'POINT (-0.01 -0.01)', destination_coord: 'POINT (0.07 50.07)' }));
    expect(p.trips.originCell[0]).toBe(cellKey(-0.01, -0.01, 0.01));
    expect([p.trips.originSub[0], p.trips.destinationSub[0]]).toEqual([subRow(-0.01, 0.01), subRow(50.07, 0.01)]);
  });

  it('refuses a header without the schema columns', () => {
    expect(() => run(OK, ['region'])).toThrow(TripColumnsError);
    expect(() => run(OK, [...COLS, 'region'])).toThrow(/repeat region/);
  });
});

describe('scanner', () => {
  const bytes = fc
    .array(fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é'), { maxLength: 60 })
    .map((a) => Buffer.from(a.join('')));
  it('finds the same records as splitRecords', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 1, max: 1e6 }), (buf, line) => {
        expect(scanTripRecords(buf, line)).toEqual(splitRecords(buf, line));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('number fast path', () => {
  const digits = (max: number) => fc.array(fc.constantFrom(...'0123456789'), { maxLength: max }).map((a) => a.join(''));
  const numText = fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      digits(20),
      fc.boolean(),
      digits(20),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 99 }))),
    )
    .filter(([, i, , f]) => i.length + f.length > 0)
    .map(([s, i, dot, f, e]) => `${s}${i}${dot || f ? '.' : ''}${f}${e ? `${e[0]}${e[1]}${e[2]}` : ''}`);

  it('gives the same double as Number() for everything the POINT grammar accepts', () => {
    fc.assert(
      fc.property(fc.oneof(numText, fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)), (text) => {
        const v = parseNumberText(text);
        // A 3-digit exponent is outside the grammar; everything else the generators make is inside.
        if (!/e[-+]?\d{3}/i.test(text)) expect(v).toBeDefined();
        if (v !== undefined) expect(Object.is(v, Number(text))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('rejects what the grammar rejects', () => {
    for (const t of ['', '.', '-', 'e5', '1e', '1e+', '1e100', 'NaN', 'Infinity', '0x10', '1,5', '1..2'])
      expect(parseNumberText(t)).toBeUndefined();
  });
});

describe('csv-parse emulation', () => {
  // Records whose fields mix quotes, CRs and commas: the parser must read (or refuse) them as csv-parse does.
  const field = fc.array(fc.constantFrom('a', '"', '""', '\r', ' ', ','), { maxLength: 6 }).map((a) => a.join(''));
  it('reads a record of an upload with extra columns exactly when and as csv-parse does', () => {
    const columns = [...COLS, 'extra'];
    fc.assert(
      fc.property(fc.array(field, { minLength: 6, maxLength: 6 }), (fields) => {
        const text = fields.join(',');
        const records = splitRecords(Buffer.from(text), 2);
        fc.pre(records.length === 1 && !records[0].unterminated && records[0].fields === 6);
        let expected: string[] | undefined;
        try {
          // As the old loader did: csv-parse on the record's bytes, without its terminator.
          const bytes = Buffer.from(text).subarray(records[0].start, records[0].end);
          const rows: string[][] = parse(bytes, { record_delimiter: ['\r\n', '\n'] });
          expected = rows.length === 1 ? rows[0] : undefined;
        } catch {
          expected = undefined;
        }
        const p = run(text, columns);
        const reject = p.rejects[0];
        if (expected === undefined) expect(reject).toMatchObject({ reason: 'field_count', fields: null });
        else expect(reject.fields).toEqual(Object.fromEntries(COLS.map((c, i) => [c, expected[i]])));
      }),
      { numRuns: 3000 },
    );
  });
});
