import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import {
  exactlyOnce,
  layerFacts,
  SAMPLE_CSV,
  startPipeline,
  startService,
  upload,
  waitForIngestion,
  type Pipeline,
  type RunningService,
  type UploadResult,
} from '#testing';

/** Uploads started at once (issue #11: "20 concurrent uploads of the sample file all complete, each counted once"). */
const UPLOADS = 20;
const ROWS = 100;
const file = readFileSync(SAMPLE_CSV);
const records = parse<Record<string, string>>(file, { columns: true }).map((r) => ({
  region: r.region,
  origin: point(r.origin_coord),
  destination: point(r.destination_coord),
  week: mondayOf(r.datetime),
}));

function point(text: string): [number, number] {
  const m = /^POINT \((\S+) (\S+)\)$/.exec(text);
  if (!m) throw new Error(`not a point: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

/** The Monday (YYYY-MM-DD) of a `YYYY-MM-DD HH:MM:SS` local timestamp. */
function mondayOf(datetime: string): string {
  const day = new Date(`${datetime.slice(0, 10)}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

/** Trips per week of one copy of the sample that `keep` selects: the single-upload answer, counted from the file. */
function weeksOfSample(keep: (r: (typeof records)[number]) => boolean): Record<string, number> {
  const weeks: Record<string, number> = {};
  for (const r of records.filter(keep)) weeks[r.week] = (weeks[r.week] ?? 0) + 1;
  return weeks;
}

const times = (weeks: Record<string, number>, k: number) =>
  Object.fromEntries(Object.entries(weeks).map(([week, n]) => [week, n * k]));

describe('concurrent uploads: 20 copies of the sample at once, each accepted and counted once', () => {
  let pipeline: Pipeline;
  let api: RunningService;

  beforeAll(async () => {
    // The defaults (UPLOAD_MAX_CONCURRENT, UPLOAD_RATE_LIMIT_PER_MINUTE) must let 20 uploads in at once.
    pipeline = await startPipeline('concurrent-uploads');
    api = await startService('query-api', pipeline.env);
  }, 180_000);
  afterAll(async () => {
    await api?.stop();
    await pipeline?.stop();
  });

  it('accepts all 20 (202), completes all 20, and every layer and answer holds 20 × one upload', async () => {
    const answers: UploadResult[] = await Promise.all(
      Array.from({ length: UPLOADS }, () => upload(pipeline.gateway.url, SAMPLE_CSV)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(UPLOADS).fill(202));
    const ids = answers.map((a) => a.body.ingestionId!);
    expect(new Set(ids).size).toBe(UPLOADS);

    const done = await Promise.all(
      ids.map((id) =>
        waitForIngestion(pipeline.pool, id, 60_000).catch(async (error: unknown) => {
          throw new Error(`${(error as Error).message}\n${await pipeline.diagnose(id)}`, { cause: error });
        }),
      ),
    );
    expect(done.map((d) => [d.state, Number(d.silver_rows), Number(d.rejected_rows)])).toEqual(
      Array(UPLOADS).fill(['completed', ROWS, 0]),
    );

    // Each ingestion exactly once in every layer: its bronze is the file, its silver 100 rows with the
    // source lines 2..101 each once, every chunk in a segment. The database holds these 20 only, so its
    // segments and gold totals are 20 × those of one upload.
    const whole = { segmentRows: UPLOADS * ROWS, gold: exactlyOnce(UPLOADS * ROWS).gold };
    for (const d of done) {
      expect(await layerFacts(pipeline.pool, d.ingestion_no, file, ROWS)).toEqual({ ...exactlyOnce(ROWS), ...whole });
    }
    const lines = await pipeline.pool.query<{
      ingestion_no: number;
      rows: string;
      lines: string;
      min: number;
      max: number;
    }>(
      `SELECT ingestion_no, count(*) AS rows, count(DISTINCT line_no) AS lines, min(line_no)::int AS min, max(line_no)::int AS max
         FROM silver.trips GROUP BY ingestion_no ORDER BY ingestion_no`,
    );
    expect(lines.rows).toEqual(
      done
        .map((d) => d.ingestion_no)
        .sort((a, b) => a - b)
        .map((no) => ({ ingestion_no: no, rows: String(ROWS), lines: String(ROWS), min: 2, max: ROWS + 1 })),
    );
    // Identical uploads fall into the same similar-trip groups: each group holds 20 copies of its trips.
    const groups = await pipeline.pool.query<{ trip_count: string }>('SELECT trip_count FROM gold.trip_groups');
    expect(groups.rows.filter((g) => Number(g.trip_count) % UPLOADS !== 0)).toEqual([]);
    const regionWeeks = await pipeline.pool.query<{ week: string; trips: string }>(
      `SELECT to_char(week_start, 'YYYY-MM-DD') AS week, sum(trips) AS trips
         FROM gold.weekly_region_counts r JOIN silver.regions n USING (region_id)
        WHERE n.name = 'Prague' GROUP BY week_start`,
    );
    expect(Object.fromEntries(regionWeeks.rows.map((r) => [r.week, Number(r.trips)]))).toEqual(
      times(
        weeksOfSample((r) => r.region === 'Prague'),
        UPLOADS,
      ),
    );

    // What a client asks: Prague has 34 trips in one copy of the sample, so 680 here; a box, 20 × its
    // trips in the file.
    const ask = async (query: string) => {
      const res = await fetch(`${api.url}/api/v1/trips/weekly-average?${query}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { totalTrips: number; series: { weekStart: string; trips: number }[] };
      return {
        total: body.totalTrips,
        weeks: Object.fromEntries(body.series.filter((w) => w.trips > 0).map((w) => [w.weekStart, w.trips])),
      };
    };
    const prague = weeksOfSample((r) => r.region === 'Prague');
    expect(Object.values(prague).reduce((a, b) => a + b, 0)).toBe(34);
    expect(await ask('region=Prague')).toEqual({ total: 680, weeks: times(prague, UPLOADS) });
    const [x0, y0, x1, y1] = [14.3, 49.9, 14.6, 50.2];
    const inBox = ([x, y]: [number, number]) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
    const box = weeksOfSample((r) => inBox(r.origin) && inBox(r.destination));
    expect(await ask(`bbox=${[x0, y0, x1, y1].join(',')}&match=both`)).toEqual({
      total: UPLOADS * Object.values(box).reduce((a, b) => a + b, 0),
      weeks: times(box, UPLOADS),
    });
  }, 120_000);
});
