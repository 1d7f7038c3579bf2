// Parser throughput on one core, no database: N synthetic trips (generate.ts) are cut into ~1 MB
// chunks of whole records (as upload-gateway would), then parsed by parseTrips alone and by
// parseTrips + encodeSilverRows (binary COPY), several rounds each; the best round is reported.
// Usage: npm run build && node dist/scripts/bench/parse.js [--rows N] [--chunk-bytes B] [--rounds R]
import { parseArgs } from 'node:util';
import { REQUIRED_COLUMNS } from '#contracts';
import { RecordChunker, encodeSilverRows, parseTrips, type Chunk } from '#csv';
import { rowGenerator } from './generate.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'chunk-bytes': { type: 'string', default: String(1024 * 1024) },
    rounds: { type: 'string', default: '5' },
  },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);
const grid = { cellDegrees: 0.01, bucketMinutes: 30 };
const columns = [...REQUIRED_COLUMNS];
const say = (msg: string) => process.stdout.write(`[bench:parse] ${msg}\n`);

const chunker = new RecordChunker(Number(values['chunk-bytes']), 2);
const chunks: Chunk[] = [];
const next = rowGenerator(42);
for (let done = 0; done < rows;) {
  const n = Math.min(10_000, rows - done);
  chunks.push(...chunker.push(Buffer.from(next(n))));
  done += n;
}
chunks.push(...chunker.end());
const bytes = chunks.reduce((s, c) => s + c.data.length, 0);
say(`${rows} rows, ${chunks.length} chunks, ${(bytes / 1e6).toFixed(1)} MB`);

const ids = Array.from({ length: 1024 }, (_, i) => i + 1);
function run(encode: boolean): { ms: number; valid: number; out: number } {
  let valid = 0;
  let out = 0;
  const t0 = performance.now();
  for (const c of chunks) {
    const parsed = parseTrips(c.data, c.firstLine, columns, grid);
    valid += parsed.trips.length;
    if (encode) out += encodeSilverRows(parsed.trips, 1, 1, ids, ids).length;
  }
  return { ms: performance.now() - t0, valid, out };
}

for (const [label, encode] of [
  ['parseTrips', false],
  ['parseTrips + encodeSilverRows', true],
] as const) {
  let best = Infinity;
  let last = { ms: 0, valid: 0, out: 0 };
  for (let r = 0; r < rounds; r++) {
    last = run(encode);
    best = Math.min(best, last.ms);
  }
  if (last.valid !== rows) throw new Error(`expected ${rows} valid rows, parsed ${last.valid}`);
  say(
    `${label}: ${Math.round(rows / (best / 1000)).toLocaleString('en-US')} rows/s, ${((best * 1000) / rows).toFixed(3)} µs/row` +
      ` (best of ${rounds}: ${best.toFixed(0)} ms${encode ? `, ${(last.out / 1e6).toFixed(1)} MB of COPY data` : ''})`,
  );
}
