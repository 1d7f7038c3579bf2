// Synthetic trips in the upload format, fast and deterministic: trips cluster around several cities
// (origins and destinations within ~10 km of a centre, with hot spots), datetimes cover one year with
// morning and evening peaks, five datasources. Usage: node dist/scripts/bench/generate.js --rows N [--out file] [--seed S]
import { createWriteStream } from 'node:fs';
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

/** Returns a function producing `count` CSV rows per call (a string), continuing the sequence. */
export function rowGenerator(seed = 42): (count: number) => string {
  const rand = rng(seed);
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
      const when = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(hour)}:${pad(Math.floor(secs / 60))}:${pad(secs % 60)}`;
      out += `${city.region},${point()},${point()},${when},${DATASOURCES[Math.floor(rand() * DATASOURCES.length)]}\n`;
    }
    return out;
  };
}

/** Writes a CSV file with `rows` trips; resolves with its size in bytes. */
export async function generateFile(path: string, rows: number, seed = 42): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 4 * 1024 * 1024 });
  const next = rowGenerator(seed);
  let bytes = 0;
  let failed: Error | undefined;
  out.on('error', (e) => (failed = e));
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      bytes += Buffer.byteLength(s);
      if (out.write(s)) resolve();
      else out.once('drain', resolve);
    });
  await write(HEADER);
  for (let done = 0; done < rows;) {
    const n = Math.min(10_000, rows - done);
    await write(next(n));
    done += n;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return bytes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      out: { type: 'string' },
      seed: { type: 'string', default: '42' },
    },
  });
  const rows = Number(values.rows);
  const out = values.out ?? `trips-${rows}.csv`;
  const t0 = performance.now();
  const bytes = await generateFile(out, rows, Number(values.seed));
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${out}: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s (${Math.round(rows / s)} rows/s)\n`,
  );
}
