// Charts of one bench run: reads the JSON that run.ts writes (.cache/bench/run-<N>-<timestamp>.json) and
// writes SVG files, rendered headless in Node with vega-lite (compiled to vega, renderer 'none': no
// browser, no canvas):
//   <out>-throughput.svg  rows/s over time into bronze and silver (a moving window over the samples)
//   <out>-rows.svg        rows in bronze and silver over time
//   <out>-rss.svg         RSS over time per service (and the Kafka broker), with the run's phases marked
//   <out>-queries.svg     latency distribution per kind of query (box plot over every query, log scale)
// Usage: node dist/scripts/bench/charts.js <run.json> --out docs/bench/1m
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

interface Sample {
  t: number;
  phase: string;
  state: string | null;
  bronze: number | null;
  silver: number | null;
  rssMb: Record<string, number>;
}
interface RunReport {
  rows: number;
  shape: string;
  stream: boolean;
  startedAt: string;
  samples: Sample[];
  queries: { kind: string; size: number; ms: number }[];
}

/** Rows/s of each layer at each sample, over a moving window of `window` seconds (ingestion only). */
export function throughput(samples: readonly Sample[], window: number) {
  const out: { t: number; layer: string; rowsPerSec: number }[] = [];
  for (const layer of ['bronze', 'silver'] as const) {
    const points = [
      { t: 0, v: 0 },
      ...samples.filter((s) => s.phase === 'ingest' && s[layer] !== null).map((s) => ({ t: s.t, v: s[layer]! })),
    ].sort((a, b) => a.t - b.t);
    for (let i = 1; i < points.length; i++) {
      // the latest earlier point at least `window` seconds back (else the start)
      let j = i - 1;
      while (j > 0 && points[i].t - points[j].t < window) j--;
      const dt = points[i].t - points[j].t;
      if (dt > 0) out.push({ t: points[i].t, layer, rowsPerSec: (points[i].v - points[j].v) / dt });
    }
  }
  return out;
}

async function render(spec: TopLevelSpec, path: string): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(path, svg);
  process.stdout.write(`${path}\n`);
}

/** Writes the charts of a run report; resolves with the paths written. */
export async function writeCharts(report: RunReport, out: string): Promise<string[]> {
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const title = `${report.rows.toLocaleString('en')} rows, ${report.shape}${report.stream ? ', streamed' : ''} (${report.startedAt.slice(0, 16)})`;
  const ingestEnd = Math.max(0, ...report.samples.filter((s) => s.phase === 'ingest').map((s) => s.t));
  const window = Math.min(30, Math.max(5, Math.round(ingestEnd / 60)));
  const width = 640;
  const height = 280;
  const paths: string[] = [];
  const layerColor = { field: 'layer', type: 'nominal', scale: { domain: ['bronze', 'silver'] } } as const;

  paths.push(`${out}-throughput.svg`);
  await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `Ingestion rows/s (${window} s window)`, subtitle: title },
      width,
      height,
      data: { values: throughput(report.samples, window) },
      mark: { type: 'line', interpolate: 'step-before', point: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds since the upload started' },
        y: { field: 'rowsPerSec', type: 'quantitative', title: 'rows/s' },
        color: layerColor,
      },
    },
    paths.at(-1)!,
  );

  paths.push(`${out}-rows.svg`);
  await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Rows in bronze and silver (silver + rejects)', subtitle: title },
      width,
      height,
      data: {
        values: report.samples
          .filter((s) => s.phase === 'ingest')
          .flatMap((s) => [
            { t: s.t, layer: 'bronze', rows: s.bronze },
            { t: s.t, layer: 'silver', rows: s.silver },
          ])
          .filter((p) => p.rows !== null),
      },
      mark: { type: 'line', interpolate: 'linear', point: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds since the upload started' },
        y: { field: 'rows', type: 'quantitative', title: 'rows' },
        color: layerColor,
      },
    },
    paths.at(-1)!,
  );

  const phases = [...new Map(report.samples.map((s) => [s.phase, s.t] as const)).keys()].map((phase) => ({
    phase,
    t: report.samples.find((s) => s.phase === phase)!.t,
  }));
  paths.push(`${out}-rss.svg`);
  await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'RSS per process', subtitle: title },
      width,
      height,
      layer: [
        {
          data: {
            values: report.samples.flatMap((s) =>
              Object.entries(s.rssMb).map(([service, mb]) => ({ t: s.t, service, mb })),
            ),
          },
          mark: { type: 'line' },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'seconds since the upload started' },
            y: { field: 'mb', type: 'quantitative', title: 'RSS (MB)' },
            color: { field: 'service', type: 'nominal' },
          },
        },
        {
          data: { values: phases },
          mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
          encoding: { x: { field: 't', type: 'quantitative' } },
        },
        {
          data: { values: phases },
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, color: 'gray' },
          encoding: { x: { field: 't', type: 'quantitative' }, y: { value: 0 }, text: { field: 'phase' } },
        },
      ],
    },
    paths.at(-1)!,
  );

  if (report.queries.length > 0) {
    paths.push(`${out}-queries.svg`);
    await render(
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: `Weekly-average query latency per kind (${report.queries.length} queries)`, subtitle: title },
        width,
        height,
        data: { values: report.queries },
        layer: [
          {
            mark: { type: 'boxplot', extent: 'min-max', opacity: 0.5 },
            encoding: {
              x: { field: 'kind', type: 'nominal', title: 'kind (region, or bbox match mode)' },
              y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
            },
          },
          {
            mark: { type: 'tick', opacity: 0.4, color: 'black', size: 14 },
            encoding: {
              x: { field: 'kind', type: 'nominal' },
              y: { field: 'ms', type: 'quantitative', scale: { type: 'log' } },
            },
          },
        ],
      },
      paths.at(-1)!,
    );
  }
  return paths;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' } },
  });
  if (positionals.length !== 1 || !values.out)
    throw new Error('usage: node dist/scripts/bench/charts.js <run.json> --out docs/bench/<name>');
  const report = JSON.parse(readFileSync(positionals[0], 'utf8')) as RunReport;
  await writeCharts(report, values.out);
}
