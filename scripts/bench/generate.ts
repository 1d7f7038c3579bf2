// Synthetic trips in the upload format, fast and deterministic: trips cluster around several cities
// (origins and destinations within ~10 km of a centre, with hot spots), datetimes cover one year with
// morning and evening peaks, five datasources. Usage:
//   node dist/scripts/bench/generate.js --rows N [--out file] [--seed S] [--shape plain|varied]
// Shape `plain` (the default) is the upload format as the tests write it. Shape `varied` is the same trips
// written the way a real user might send them: the columns in another order plus an extra one, every
// field quoted, CRLF line ends, a UTF-8 BOM, unpadded hours, and ~2,000 distinct region names (a city
// name and a district suffix); every row is still a valid trip.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

export const CITIES = [
  { region: 'Prague', lon: 14.4378, lat: 50.0755 },
  { region: 'Turin', lon: 7.6869, lat: 45.0703 },
  { region: 'Hamburg', lon: 9.9937, lat: 53.5511 },
  { region: 'Barcelona', lon: 2.1734, lat: 41.3851 },
  { region: 'Lyon', lon: 4.8357, lat: 45.764 },
  { region: 'Krakow', lon: 19.945, lat: 50.0647 },
  { region: 'Porto', lon: -8.6291, lat: 41.1579 },
  { region: 'Montreal', lon: -73.5673, lat: 45.5017 },
];
export const DATASOURCES = ['funny_car', 'baba_car', 'cheap_mobile', 'bad_diesel_vehicles', 'pt_search_app'];
export const HEADER = 'region,origin_coord,destination_coord,datetime,datasource\n';

export const SHAPES = ['plain', 'varied'] as const;
export type Shape = (typeof SHAPES)[number];
/** District suffixes per city in the `varied` shape: 8 cities × 250 = 2,000 region names. */
export const VARIED_DISTRICTS = 250;
/** The `varied` shape's columns, in file order (`note` is the extra column the pipeline ignores). */
export const VARIED_COLUMNS = [
  'datasource',
  'datetime',
  'note',
  'destination_coord',
  'origin_coord',
  'region',
] as const;

/** The columns of a file of this shape, in file order. */
export function columnsOf(shape: Shape): readonly string[] {
  return shape === 'plain' ? HEADER.trim().split(',') : VARIED_COLUMNS;
}

/** The header line of a file of this shape (with the BOM of the `varied` shape). */
export function headerOf(shape: Shape): string {
  return shape === 'plain' ? HEADER : `\ufeff${VARIED_COLUMNS.map((c) => `"${c}"`).join(',')}\r\n`;
}

/** mulberry32: tiny, fast, good enough for synthetic data (and seeded: the same data on every run). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Returns a function producing `count` CSV rows per call (a string), continuing the sequence. Both
 * shapes hold the same trips (the `varied` shape draws its district suffixes and notes from a second
 * random sequence), so only the region names and the formatting differ.
 */
export function rowGenerator(seed = 42, shape: Shape = 'plain'): (count: number) => string {
  const rand = rng(seed);
  const rand2 = rng(seed ^ 0x5eed5eed);
  let line = 0;
  const gauss = () => (rand() + rand() + rand() + rand() - 2) * 0.87; // ~N(0,1), cheap
  // A few hot spots per city make similar-trip groups realistic.
  const spots = CITIES.map((c) => Array.from({ length: 12 }, () => [c.lon + gauss() * 0.06, c.lat + gauss() * 0.04]));
  const start = Date.UTC(2018, 0, 1);
  return (count: number) => {
    let out = '';
    for (let i = 0; i < count; i++) {
      const ci = Math.floor(rand() * rand() * CITIES.length); // some cities busier than others
      const city = CITIES[ci];
      const point = () => {
        if (rand() < 0.5) {
          const s = spots[ci][Math.floor(rand() * 12)];
          return `POINT (${(s[0] + gauss() * 0.003).toFixed(9)} ${(s[1] + gauss() * 0.002).toFixed(9)})`;
        }
        return `POINT (${(city.lon + gauss() * 0.07).toFixed(9)} ${(city.lat + gauss() * 0.045).toFixed(9)})`;
      };
      const day = Math.floor(rand() * 365);
      const peak = rand();
      const hour =
        peak < 0.3 ? 7 + Math.floor(rand() * 3) : peak < 0.6 ? 16 + Math.floor(rand() * 3) : Math.floor(rand() * 24);
      const d = new Date(start + day * 86400_000);
      const secs = Math.floor(rand() * 3600);
      if (shape === 'plain') {
        const when = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(hour)}:${pad(Math.floor(secs / 60))}:${pad(secs % 60)}`;
        out += `${city.region},${point()},${point()},${when},${DATASOURCES[Math.floor(rand() * DATASOURCES.length)]}\n`;
        continue;
      }
      // varied: the same draws in the same order, written differently
      const when = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hour}:${pad(Math.floor(secs / 60))}:${pad(secs % 60)}`;
      const origin = point();
      const destination = point();
      const datasource = DATASOURCES[Math.floor(rand() * DATASOURCES.length)];
      const region = `${city.region} District ${1 + Math.floor(rand2() * VARIED_DISTRICTS)}`;
      const note = `ref ${++line}, batch ${Math.floor(rand2() * 100)}`;
      out += `"${datasource}","${when}","${note}","${destination}","${origin}","${region}"\r\n`;
    }
    return out;
  };
}

/**
 * A CSV file of `rows` trips as a stream, produced on demand: the header, then batches of 10,000 rows,
 * each generated only when the consumer asks for more (backpressure), on a later turn of the event loop.
 * `bytes()` tells how many bytes
 * it has produced so far.
 */
export function csvStream(rows: number, shape: Shape = 'plain', seed = 42): Readable & { bytes(): number } {
  const next = rowGenerator(seed, shape);
  let done = -1;
  let bytes = 0;
  const push = (stream: Readable, s: string) => {
    const chunk = Buffer.from(s, 'utf8');
    bytes += chunk.length;
    return stream.push(chunk);
  };
  const stream = new Readable({
    highWaterMark: 4 * 1024 * 1024,
    read() {
      if (done < 0) {
        done = 0;
        push(this, headerOf(shape));
        return;
      }
      if (done >= rows) {
        this.push(null);
        return;
      }
      const n = Math.min(10_000, rows - done);
      done += n;
      // Generated on the next turn of the event loop: the process's timers (run.ts samples every second)
      // run between batches instead of waiting for the whole stream.
      setImmediate(() => push(this, next(n)));
    },
  });
  return Object.assign(stream, { bytes: () => bytes });
}

/** Writes a CSV file with `rows` trips; resolves with its size in bytes. */
export async function generateFile(path: string, rows: number, seed = 42, shape: Shape = 'plain'): Promise<number> {
  const source = csvStream(rows, shape, seed);
  await pipeline(source, createWriteStream(path, { highWaterMark: 4 * 1024 * 1024 }));
  return source.bytes();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      out: { type: 'string' },
      seed: { type: 'string', default: '42' },
      shape: { type: 'string', default: 'plain' },
    },
  });
  const shape = values.shape as Shape;
  if (!SHAPES.includes(shape)) throw new Error(`--shape must be one of ${SHAPES.join(', ')}`);
  const rows = Number(values.rows);
  const out = values.out ?? (shape === 'plain' ? `trips-${rows}.csv` : `trips-${shape}-${rows}.csv`);
  const t0 = performance.now();
  const bytes = await generateFile(out, rows, Number(values.seed), shape);
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${out}: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s (${Math.round(rows / s)} rows/s)\n`,
  );
}
