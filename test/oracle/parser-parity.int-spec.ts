// Parity of parseTrips (libs/csv/src/trips.ts) with the OLD bronze → silver path, which is the oracle:
// the frozen bronze loader (copy-rows.ts + old-bronze.ts) COPYs a chunk into bronze, the frozen
// dictionaries.sql + chunk.sql turn it into silver, and every line must come out the same — same
// valid/reject split, reason, names, bit-identical floats, timestamps, cells, sub-rows, buckets, and
// for rejects the same stored field values or raw text. Also round-trips encodeSilverRows through a
// real binary COPY. Runs in a scratch database of its own (old-schema.sql).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { REQUIRED_COLUMNS, type Grid } from '#contracts';
import {
  SILVER_COPY_COLUMNS,
  binaryCopyHeader,
  binaryCopyTrailer,
  encodeSilverRows,
  parseTrips,
  type ParsedChunk,
} from '#csv';
import { dropDatabase, ensureDatabase } from '#db';
import { testEnv } from '#testing';
import { loadBronzeChunkOld } from './old-bronze.js';

const here = dirname(fileURLToPath(import.meta.url));
const sql = (name: string) => readFileSync(join(here, name), 'utf8');
const DICTIONARIES_SQL = sql('dictionaries.sql');
const CHUNK_SQL = sql('chunk.sql');
const GRIDS: Grid[] = [
  { cellDegrees: 0.01, bucketMinutes: 30 },
  { cellDegrees: 0.25, bucketMinutes: 15 },
];

// ---------------------------------------------------------------------------------------------------
// Generators: valid rows in the bench generator's shape mixed with hostile ones.

const num = fc.oneof(
  fc.double({ min: -200, max: 200, noNaN: true }).map((x) => x.toFixed(9)),
  fc.double({ min: -200, max: 200, noNaN: true }).map(String),
  fc.integer({ min: -100, max: 100 }).map((i) => (i / 100).toFixed(2)), // on cell borders
  fc.integer({ min: -9000, max: 9000 }).map((i) => String(i / 100)),
  fc.constantFrom(
    '0',
    '-0',
    '+0',
    '-0.0',
    '.5',
    '5.',
    '-.5',
    '+.5e-3',
    '1e2',
    '1E+02',
    '1e-7',
    '1.5e-07',
    '1e308',
    '1e99',
    '1e100',
    '-1e-99',
    '9e-99',
    '0x10',
    'NaN',
    'Infinity',
    '-Infinity',
    'inf',
    '1,5',
    '1.5.5',
    '',
    '.',
    '-',
    'e5',
    '1e',
    '1e+',
    '180',
    '-180',
    '180.0000000001',
    '90',
    '-90',
    '90.00000000000001',
    '89.99999999999999',
    '14.437800000',
    '00014.4378',
    '123456789012345678901234567890',
    '0.000000000000000000000000000001',
    '1234567890123456.7',
    '4.35',
    '0.1',
    '0.3',
    '1e22',
    '1e23',
    '12345678901234567890e-10',
    '٣',
    '１',
  ),
);
const blank = fc.constantFrom('', '', '', ' ', '\t', '  ', ' \t');
const point = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(num, num).map(([a, b]) => `POINT (${a} ${b})`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        blank,
        fc.constantFrom('POINT', 'point', 'Point', 'pOiNt', 'POINTS', 'PO INT', 'İPOINT', 'POİNT'),
        blank,
        blank,
        num,
        fc.constantFrom(' ', '\t', '  ', ' \t ', ''),
        num,
        blank,
        blank,
      )
      .map(([a, p, b, c, x, sep, y, d, e]) => `${a}${p}${b}(${c}${x}${sep}${y}${d})${e}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'POINT EMPTY',
      'POINT (1 2 3)',
      'POINT (1)',
      'POINT(1 2)',
      'POINT (1 2',
      'LINESTRING (1 2, 3 4)',
      `POINT (${'1'.repeat(45)} ${'2'.repeat(45)})`,
      `POINT (${'1'.repeat(46)} ${'2'.repeat(47)})`,
      'POINT (1 2)\n',
      'POINT (1\n2)',
      'POINT (1 2)x',
    ),
  },
);
const pad2 = (n: number) => String(n).padStart(2, '0');
const datetime = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 2017, max: 2021 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.boolean(),
      )
      .map(([y, m, d, h, mi, s, padH]) => `${y}-${pad2(m)}-${pad2(d)} ${padH ? pad2(h) : h}:${pad2(mi)}:${pad2(s)}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        blank,
        fc.constantFrom(' ', 'T', 't', '  ', '\t'),
        blank,
      )
      .map(
        ([y, m, d, h, mi, s, a, sep, b]) =>
          `${a}${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}${sep}${h}:${pad2(mi)}:${pad2(s)}${b}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0000-01-01 00:00:00',
      '0001-01-01 00:00:00',
      '9999-12-31 23:59:59',
      '2018-02-29 10:00:00',
      '2020-02-29 10:00:00',
      '1900-02-29 10:00:00',
      '2000-02-29 10:00:00',
      '2018-01-01 24:00:00',
      '2018-01-01 7:05:09',
      '2018-01-01T07:05:09',
      '2018-01-01 07:05:09Z',
      '2018-01-01 07:05:09+02',
      '2018-01-01 07:05:09.5',
      '2018-13-01 00:00:00',
      '2018-04-31 00:00:00',
      '2018-01-01 00:60:00',
      '2018-01-01 00:00:60',
      '2018-1-01 00:00:00',
      '2018-01-01',
      '',
      '18-01-01 00:00:00',
      '2018-01-01 123:00:00',
      '２018-01-01 00:00:00',
      '1999-12-31 23:59:59',
      '2000-01-01 00:00:00',
    ),
  },
);
const region = fc.constantFrom(
  'Prague',
  'Turin',
  ' Prague ',
  'PRAGUE',
  'prague',
  'Kraków',
  'KRAKÓW',
  'İstanbul',
  'ıstanbul',
  'Straße',
  'STRASSE',
  '',
  ' ',
  '\tPorto',
  'Porto\t',
  'a b',
  '\uFEFFLyon',
  'Ǆ',
  'ǅ',
  'ǆ',
  'Σ',
  'σ',
  'ς',
  '"Montreal"',
  // MAX_NAME_CHARS is 200: at the limit, past it, and past it in bytes only (2-byte characters)
  'r'.repeat(200),
  ` ${'r'.repeat(200)} `,
  'r'.repeat(201),
  'é'.repeat(200),
  'é'.repeat(201),
);
const datasource = fc.constantFrom(
  'funny_car',
  'baba_car',
  ' cheap_mobile ',
  'bad_diesel_vehicles',
  'pt_search_app',
  '',
  '  ',
  '\tfunny_car',
  'Funny_Car',
  'x\u00a0',
  'd'.repeat(200),
  'd'.repeat(6000),
);
const noise = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'x', '"', '""', 'a"b', '"a"b', '\r', '\uFFFD', '\0', ',', 'é', '\n'),
);

/** A field value as it goes into the file: plain, quoted, or mangled with quotes. */
const encodeField = (value: string) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(value) },
    { weight: 2, arbitrary: fc.constant(`"${value.replaceAll('"', '""')}"`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `"${value}"`,
        `${value}""`,
        `x"${value}"`,
        `"${value}"x`,
        ` "${value}"`,
        `"${value}" `,
        `"${value}"\r`,
      ),
    },
  );
const fieldFor = (column: string): fc.Arbitrary<string> => {
  const base =
    column === 'region'
      ? region
      : column === 'datasource'
        ? datasource
        : column === 'datetime'
          ? datetime
          : column === 'origin_coord' || column === 'destination_coord'
            ? point
            : noise;
  return fc.oneof({ weight: 12, arbitrary: base }, { weight: 1, arbitrary: noise }).chain(encodeField);
};

const BYTES = {
  invalid: [
    Buffer.from([0xff]),
    Buffer.from([0xc3]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  ],
  other: [
    Buffer.from('\uFFFD'),
    Buffer.from([0]),
    Buffer.from('\r'),
    Buffer.from('"'),
    Buffer.from(','),
    Buffer.from('\r\n'),
    Buffer.from('\n'),
    Buffer.from(' '),
  ],
};

/** One record (without its terminator) for the given columns. */
const record = (columns: readonly string[]) =>
  fc.oneof(
    { weight: 20, arbitrary: fc.tuple(...columns.map(fieldFor)).map((fields) => Buffer.from(fields.join(','))) },
    {
      weight: 3,
      // A record damaged at one byte position.
      arbitrary: fc
        .tuple(
          fc.tuple(...columns.map(fieldFor)),
          fc.nat(),
          fc.constantFrom(...BYTES.invalid, ...BYTES.other),
          fc.boolean(),
        )
        .map(([fields, at, bytes, replace]) => {
          const b = Buffer.from(fields.join(','));
          const i = b.length ? at % b.length : 0;
          return Buffer.concat([b.subarray(0, i), bytes, b.subarray(replace ? i + 1 : i)]);
        }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => Buffer.from(s)) },
  );

interface Case {
  columns: string[];
  chunk: Buffer;
  grid: Grid;
  firstLine: number;
}

const columnsArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant([...REQUIRED_COLUMNS] as string[]) },
  { weight: 2, arbitrary: fc.shuffledSubarray([...REQUIRED_COLUMNS], { minLength: 5, maxLength: 5 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.shuffledSubarray([...REQUIRED_COLUMNS, 'extra_a', 'extra_b', 'note'], { minLength: 6, maxLength: 8 }))
      .filter(([c]) => REQUIRED_COLUMNS.every((r) => c.includes(r)))
      .map(([c]) => c),
  },
);

const caseArb: fc.Arbitrary<Case> = fc
  .tuple(columnsArb, fc.constantFrom(...GRIDS), fc.integer({ min: 2, max: 1_000_000 }))
  .chain(([columns, grid, firstLine]) =>
    fc
      .tuple(
        fc.array(
          fc.tuple(record(columns), fc.constantFrom('\n', '\n', '\n', '\r\n', '\n\n', '\r\n\r\n', '\n\r\n', '\r\r\n')),
          { maxLength: 25 },
        ),
        fc.constantFrom('', '', '\n', '"', '"\n', 'x,"y\n'),
      )
      .map(([records, tail]) => ({
        columns,
        grid,
        firstLine,
        chunk: Buffer.concat([...records.flatMap(([r, t]) => [r, Buffer.from(t)]), Buffer.from(tail)]),
      })),
  );

/** Valid rows exactly as the bench generator writes them. */
function generatorCase(seed: number, rows: number): Case {
  const cities = ['Prague', 'Turin', 'Hamburg'];
  const lines: string[] = [];
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < rows; i++) {
    const p = () => `POINT (${(14 + rand()).toFixed(9)} ${(50 + rand() - 0.5).toFixed(9)})`;
    lines.push(
      `${cities[i % 3]},${p()},${p()},2018-0${1 + (i % 9)}-1${i % 10} ${i % 24}:0${i % 10}:${10 + (i % 50)},funny_car`,
    );
  }
  return { columns: [...REQUIRED_COLUMNS], grid: GRIDS[0], firstLine: 2, chunk: Buffer.from(lines.join('\n') + '\n') };
}

// ---------------------------------------------------------------------------------------------------

const env = testEnv();
const scratchUrl = (() => {
  const url = new URL(env.DATABASE_URL);
  url.pathname = `${url.pathname}_parity`;
  return url.toString();
})();
let client: pg.Client;
let ingestionNo = 0;
const modes = { copy: 0, insert: 0 };
const reasons = new Map<string, number>();

beforeAll(async () => {
  await ensureDatabase(scratchUrl);
  client = new pg.Client({ connectionString: scratchUrl });
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS bronze, silver CASCADE');
  await client.query(sql('old-schema.sql'));
});

afterAll(async () => {
  await client?.end();
  await dropDatabase(scratchUrl);
});

interface SilverRow {
  line_no: string;
  region_key: string;
  datasource_name: string;
  origin_lon: number;
  origin_lat: number;
  destination_lon: number;
  destination_lat: number;
  occurred_s: string;
  origin_cell: string;
  destination_cell: string;
  origin_sub: number;
  destination_sub: number;
  tod_bucket: number;
}
interface RejectRow {
  line_no: string;
  reason: string;
  region: string | null;
  origin_coord: string | null;
  destination_coord: string | null;
  datetime: string | null;
  datasource: string | null;
  raw_record: string | null;
}

/** Runs the old path on a case; returns its silver rows and rejects by line. */
async function oldPath(c: Case) {
  const no = ++ingestionNo;
  const { rows, mode } = await loadBronzeChunkOld(client, no, c.chunk, c.firstLine, c.columns);
  modes[mode]++;
  await client.query(DICTIONARIES_SQL, [no, rows.firstLine, rows.lastLine]);
  const counts = await client.query<{ total_rows: string }>(CHUNK_SQL, [
    no,
    rows.firstLine,
    rows.lastLine,
    c.grid.cellDegrees,
    c.grid.bucketMinutes,
  ]);
  const silver = await client.query<SilverRow>(
    `SELECT t.line_no, r.name_key AS region_key, d.name AS datasource_name, t.origin_lon, t.origin_lat,
            t.destination_lon, t.destination_lat,
            (extract(epoch FROM t.occurred_at) - 946684800)::bigint AS occurred_s,
            t.origin_cell, t.destination_cell, t.origin_sub, t.destination_sub, t.tod_bucket
     FROM silver.trips t JOIN silver.regions r USING (region_id) JOIN silver.datasources d USING (datasource_id)
     WHERE t.ingestion_no = $1 ORDER BY t.line_no`,
    [no],
  );
  const rejects = await client.query<RejectRow>(
    `SELECT line_no, reason, region, origin_coord, destination_coord, datetime, datasource, raw_record
     FROM silver.rejects WHERE ingestion_no = $1 ORDER BY line_no`,
    [no],
  );
  return { rows, mode, total: Number(counts.rows[0].total_rows), silver: silver.rows, rejects: rejects.rows };
}

/** PostgreSQL's lower() of each name (JS toLowerCase differs on some characters). */
async function pgLower(names: string[]): Promise<string[]> {
  const { rows } = await client.query<{ k: string }>(
    'SELECT lower(n) AS k FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i',
    [names],
  );
  return rows.map((r) => r.k);
}

const describeCase = (c: Case) =>
  `columns=${c.columns.join('|')} firstLine=${c.firstLine} chunk=${JSON.stringify(c.chunk.toString('latin1'))}`;

async function compare(c: Case): Promise<void> {
  const old = await oldPath(c);
  let parsed: ParsedChunk;
  try {
    parsed = parseTrips(c.chunk, c.firstLine, c.columns, c.grid);
  } catch (error) {
    throw new Error(`parseTrips threw on ${describeCase(c)}: ${String(error)}`, { cause: error });
  }
  const ctx = describeCase(c);
  const t = parsed.trips;
  const mine = {
    records: parsed.records,
    firstLine: parsed.firstLine,
    lastLine: parsed.lastLine,
    valid: Array.from(t.lineNo.subarray(0, t.length)),
    rejects: parsed.rejects.map((r) => ({
      line: r.line,
      reason: r.reason,
      region: r.fields?.region ?? null,
      origin_coord: r.fields?.origin_coord ?? null,
      destination_coord: r.fields?.destination_coord ?? null,
      datetime: r.fields?.datetime ?? null,
      datasource: r.fields?.datasource ?? null,
      raw_record: r.raw,
    })),
  };
  const theirs = {
    records: old.total,
    firstLine: old.rows.firstLine,
    lastLine: old.rows.lastLine,
    valid: old.silver.map((r) => Number(r.line_no)),
    rejects: old.rejects.map(({ line_no, ...r }) => ({ line: Number(line_no), ...r })),
  };
  expect({ ctx, ...mine }).toEqual({ ctx, ...theirs });
  for (const r of parsed.rejects) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
  if (!t.length) return;

  const keys = await pgLower(parsed.regions);
  const got = old.silver.map((_, i) => ({
    line: t.lineNo[i],
    region_key: keys[t.regionIndex[i]],
    datasource_name: parsed.datasources[t.datasourceIndex[i]],
    lon: [t.originLon[i], t.originLat[i], t.destinationLon[i], t.destinationLat[i]].map(bits),
    occurred: t.occurredAt[i],
    cells: [t.originCell[i], t.destinationCell[i]],
    subs: [t.originSub[i], t.destinationSub[i], t.todBucket[i]],
  }));
  const want = old.silver.map((r) => ({
    line: Number(r.line_no),
    region_key: r.region_key,
    datasource_name: r.datasource_name,
    lon: [r.origin_lon, r.origin_lat, r.destination_lon, r.destination_lat].map(bits),
    occurred: Number(r.occurred_s),
    cells: [Number(r.origin_cell), Number(r.destination_cell)],
    subs: [r.origin_sub, r.destination_sub, r.tod_bucket],
  }));
  expect({ ctx, got }).toEqual({ ctx, got: want });
}

/** A double's bits as hex: distinguishes -0 from 0 and compares exactly. */
function bits(x: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString('hex');
}

describe('parseTrips parity with the old bronze → silver path', () => {
  it('agrees on the bench generator shape', async () => {
    await compare(generatorCase(7, 400));
  });

  it.each([
    [
      'CRLF and blank lines',
      'Prague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,funny_car\r\n\r\n\nTurin,POINT (7 45),POINT (7.1 45.1),2018-05-01T7:05:09,baba_car\r\n',
    ],
    [
      'a single record whose last byte is a CR (COPY drops it)',
      'Prague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,funny_car\r\r\n',
    ],
    [
      'records that all end in a CR before CRLF (COPY reads CRLF lines and drops the CRs)',
      'Prague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,"funny_car"\r\r\nPrague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,baba\r\r\n',
    ],
    [
      'a bare CR sends the chunk to csv-parse',
      'Prague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,funny\rcar\nPrague,"POINT (14.4 50.1)"x,POINT (14.5 50.2),2018-05-01 07:05:09,funny_car\n',
    ],
    [
      'quotes in odd places on the COPY path',
      'Pra"gue",POINT (14.4 50.1),"POINT ""(14.5"" 50.2)",2018-05-01 07:05:09,funny_car\n"a,b",POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,"ds"\n',
    ],
    [
      'encoding rejects',
      'Pr\uFFFDague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,funny_car\nPrague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,funny\0car\n',
    ],
    [
      'an unterminated quote at the end',
      'Prague,POINT (14.4 50.1),POINT (14.5 50.2),2018-05-01 07:05:09,funny_car\nPrague,"POINT (14.4 50.1),POINT\n',
    ],
  ])('agrees on %s', async (_label, text) => {
    await compare({ columns: [...REQUIRED_COLUMNS], grid: GRIDS[0], firstLine: 2, chunk: Buffer.from(text, 'utf8') });
  });

  it('agrees on generated chunks mixing valid and hostile records', async () => {
    await fc.assert(fc.asyncProperty(caseArb, compare), { numRuns: 500, seed: 20240611 });
    await fc.assert(fc.asyncProperty(caseArb, compare), { numRuns: Number(process.env.PARITY_RUNS ?? 300) });
    // The generators must reach both bronze paths and every reason code.
    expect(modes.copy).toBeGreaterThan(0);
    expect(modes.insert).toBeGreaterThan(0);
    expect([...reasons.keys()].sort()).toEqual([
      'bad_datetime',
      'bad_destination',
      'bad_origin',
      'datasource_too_long',
      'destination_out_of_range',
      'field_count',
      'invalid_datetime',
      'invalid_encoding',
      'missing_datasource',
      'missing_region',
      'origin_out_of_range',
      'region_too_long',
    ]);
  }, 120_000);
});

describe('encodeSilverRows', () => {
  it('round-trips through COPY … FROM STDIN (FORMAT binary)', async () => {
    await client.query(`CREATE TABLE IF NOT EXISTS public.silver_copy_check (
      line_no bigint, origin_cell bigint, destination_cell bigint, origin_lon float8, origin_lat float8,
      destination_lon float8, destination_lat float8, occurred_at timestamp, segment_no integer, ingestion_no integer,
      region_id integer, datasource_id integer, tod_bucket smallint, origin_sub smallint, destination_sub smallint)`);
    const text = [
      'Prague,POINT (14.437800001 50.075500009),POINT (-14.5 -50.2),2018-05-01 07:05:09,funny_car',
      'Turin,POINT (-0 -0),POINT (180 90),0001-01-01 00:00:00,baba_car',
      'prague,POINT (-180 -90),POINT (1e-7 -1e-7),9999-12-31 23:59:59,funny_car',
      'Lyon,POINT (0.1 0.3),POINT (4.35 45.764),1999-12-31 23:59:59,x',
    ].join('\n');
    const parsed = parseTrips(Buffer.from(text), 2, [...REQUIRED_COLUMNS], GRIDS[0]);
    expect(parsed.trips.length).toBe(4);
    // Ids past smallint, up to the largest integer (binary COPY would refuse an int2 for them).
    const regionIds = parsed.regions.map((_, i) => (i === 0 ? 2 ** 31 - 1 : 32_767 + i));
    const datasourceIds = parsed.datasources.map((_, i) => (i === 0 ? 2 ** 31 - 2 : 65_535 + i));
    const data = Buffer.concat([
      binaryCopyHeader(),
      encodeSilverRows(parsed.trips, 7, 2_000_000_000, regionIds, datasourceIds),
      binaryCopyTrailer(),
    ]);
    await pipeline(
      Readable.from([data]),
      client.query(
        copyStreams.from(
          `COPY public.silver_copy_check (${SILVER_COPY_COLUMNS.join(', ')}) FROM STDIN (FORMAT binary)`,
        ),
      ),
    );
    const { rows } = await client.query<Record<string, string | number>>(
      `SELECT line_no, origin_cell, destination_cell, float8send(origin_lon)::text AS olon, float8send(origin_lat)::text AS olat,
              float8send(destination_lon)::text AS dlon, float8send(destination_lat)::text AS dlat,
              to_char(occurred_at, 'YYYY-MM-DD HH24:MI:SS') AS at, (extract(epoch FROM occurred_at) - 946684800)::bigint AS s,
              segment_no, ingestion_no, region_id, datasource_id, tod_bucket, origin_sub, destination_sub
       FROM public.silver_copy_check ORDER BY line_no`,
    );
    const t = parsed.trips;
    const hex = (x: number) => `\\x${bits(x)}`;
    expect(rows).toEqual(
      Array.from({ length: t.length }, (_, i) => ({
        line_no: String(t.lineNo[i]),
        origin_cell: String(t.originCell[i]),
        destination_cell: String(t.destinationCell[i]),
        olon: hex(t.originLon[i]),
        olat: hex(t.originLat[i]),
        dlon: hex(t.destinationLon[i]),
        dlat: hex(t.destinationLat[i]),
        at: ['2018-05-01 07:05:09', '0001-01-01 00:00:00', '9999-12-31 23:59:59', '1999-12-31 23:59:59'][i],
        s: String(t.occurredAt[i]),
        segment_no: 7,
        ingestion_no: 2_000_000_000,
        region_id: regionIds[t.regionIndex[i]],
        datasource_id: datasourceIds[t.datasourceIndex[i]],
        tod_bucket: t.todBucket[i],
        origin_sub: t.originSub[i],
        destination_sub: t.destinationSub[i],
      })),
    );
  });
});
