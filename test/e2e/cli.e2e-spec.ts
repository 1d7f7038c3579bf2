import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '#db';
import {
  eventually,
  ingestFile,
  startPipeline,
  startService,
  type Pipeline,
  type RunningService,
  SAMPLE_CSV,
} from '#testing';
import { HEADER, rowGenerator } from '../../scripts/bench/generate.js';

const SAMPLE = SAMPLE_CSV;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs the compiled CLI as a user would (`bin/trips.js`), stdout a pipe (not a TTY): plain lines. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'trips.js'), ...args], {
    env: { ...(process.env as Record<string, string>), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const run: CliRun = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (b: Buffer) => (run.stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (run.stderr += b.toString()));
  const done = new Promise<CliRun>((resolve) => child.once('exit', (code) => resolve({ ...run, code })));
  return { child, run, done };
}

const runCli = (args: string[], env?: Record<string, string>) => startCli(args, env).done;

/** The `#<seq>` of every event line, in output order. */
const seqs = (stdout: string): number[] => [...stdout.matchAll(/^#(\d+)\s/gm)].map((m) => Number(m[1]));

/**
 * A TCP proxy in front of the notifier that can cut every connection and refuse new ones for a while:
 * a network drop, with the notifier itself still running and storing events.
 */
async function startProxy(targetPort: number) {
  const open = new Set<Socket>();
  let down = false;
  let target = targetPort;
  const server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(target, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        open.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    restore() {
      down = false;
    },
    /** New connections go to another port (a notifier started in place of a dead one). */
    retarget(port: number) {
      target = port;
    },
    close() {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}

describe('trips CLI (compiled, as a child process) against the real pipeline', () => {
  let pipeline: Pipeline;
  let notifier: RunningService;
  let api: RunningService;
  let urls: { gateway: string; notifier: string };

  /** What a stuck ingestion looks like from the inside: its row, its chunk markers and the services' last log lines. */
  beforeAll(async () => {
    pipeline = await startPipeline('cli');
    [notifier, api] = await Promise.all([
      startService('notifier', pipeline.env),
      startService('query-api', pipeline.env),
    ]);
    urls = { gateway: pipeline.gateway.url, notifier: notifier.url };
  }, 120_000);
  afterAll(async () => {
    // A CLI still following an ingestion after a failed assertion would keep jest alive.
    for (const child of children) child.kill('SIGKILL');
    await notifier?.stop();
    await api?.stop();
    await pipeline?.stop();
  });

  it('uploads the sample, follows every layer live and prints the summary with 100 rows (exit 0)', async () => {
    const result = await runCli(['upload', SAMPLE, '--gateway', urls.gateway, '--notifier', urls.notifier]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const id = /Ingestion ([0-9a-f-]{36}) completed/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toMatch(/^ {2}rows {6}100$/m);
    expect(result.stdout).toMatch(/^ {2}valid {5}100$/m);
    expect(result.stdout).toMatch(/^ {2}rejected {2}0$/m);
    expect(result.stdout).toMatch(/^ {2}rate {6}[\d,]+ rows\/s$/m);
    // Subscribed before uploading: the very first event was seen, and every one exactly once, in order.
    const seen = seqs(result.stdout);
    expect(seen[0]).toBe(1);
    expect(seen).toEqual(seen.map((_, i) => i + 1));
    for (const line of [
      'ingestion accepted trips.csv',
      'upload    completed',
      'bronze    completed: 100 rows',
      'silver    completed: 100 valid',
      'gold      completed: 100 trips',
    ]) {
      expect(result.stdout).toContain(line);
    }
    const { rows } = await pipeline.pool.query(
      'SELECT state, silver_rows FROM meta.ingestions WHERE ingestion_id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ state: 'completed', silver_rows: '100' });

    // `watch` on a finished ingestion replays its stored events and ends with the same summary.
    const watched = await runCli(['watch', id as string, '--notifier', urls.notifier]);
    expect(watched.code).toBe(0);
    expect(seqs(watched.stdout)).toEqual(seen);
    expect(watched.stdout).toMatch(/^ {2}rows {6}100$/m);
  });

  it('retracts a completed ingestion and waits until its rows are out; again: already retracted; unknown: exit 2', async () => {
    const done = await ingestFile(pipeline, SAMPLE);
    const first = await runCli(['retract', done.ingestion_id, '--gateway', urls.gateway, '--notifier', urls.notifier]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`Ingestion ${done.ingestion_id} retracted: 100 trips left silver and gold.`);
    const { rows } = await pipeline.pool.query(
      'SELECT state, (SELECT count(*)::int FROM silver.trips t WHERE t.ingestion_no = i.ingestion_no) AS silver FROM meta.ingestions i WHERE ingestion_id = $1',
      [done.ingestion_id],
    );
    expect(rows[0]).toEqual({ state: 'retracted', silver: 0 });
    const again = await runCli(['retract', done.ingestion_id, '--gateway', urls.gateway, '--no-wait']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is retracted');
    const unknown = await runCli(['retract', '6f1c0000-0000-4000-8000-000000000000', '--gateway', urls.gateway]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('HTTP 404 ingestion_not_found');
  });

  describe('weekly', () => {
    const weekly = (args: string[], env?: Record<string, string>) =>
      runCli(['weekly', ...args, ...(env ? [] : ['--query-api', api.url])], env);
    /** The chart's week lines (plain output: `YYYY-MM-DD | ### count`) as [week, bar length, count]. */
    const chart = (stdout: string): [string, number, number][] =>
      [...stdout.matchAll(/^(\d{4}-\d{2}-\d{2}) \| (#*) +(\d[\d,]*)$/gm)].map((m) => [
        m[1],
        m[2].length,
        Number(m[3].replaceAll(',', '')),
      ]);
    const WEEKS = ['2018-04-30', '2018-05-07', '2018-05-14', '2018-05-21', '2018-05-28'];
    const BOX = '7.5415091,45.091605,10.0588964,53.4948642';

    beforeAll(async () => {
      // The sample counts once: the first test's upload (the retracted copy counts for nothing). Run alone, upload it here.
      const { rows } = await pipeline.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM meta.ingestions WHERE state = 'completed'`,
      );
      if (rows[0].n === 0) await ingestFile(pipeline, SAMPLE);
      const { rows: trips } = await pipeline.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM silver.trips');
      expect(trips[0].n).toBe(100);
    }, 60_000);

    it('region: one line per week with a bar scaled to the largest week, and the average (the sample: Prague 6.8)', async () => {
      const result = await weekly(['--region', 'Prague']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('Trips per week, region Prague, 2018-04-30 - 2018-06-03 (5 weeks)');
      // 80 columns when not a terminal: the bar has 80 − 10 (date) − 3 (" | ") − 1 − 2 (widest count) = 64 cells.
      expect(chart(result.stdout)).toEqual([
        ['2018-04-30', 64, 10],
        ['2018-05-07', 51, 8],
        ['2018-05-14', 51, 8],
        ['2018-05-21', 32, 5],
        ['2018-05-28', 19, 3],
      ]);
      expect(lines.slice(1, 6).every((l) => l.length === 80)).toBe(true);
      expect(lines.at(-1)).toBe('average 6.80 trips/week = 34 trips / 5 weeks of the period (5 with trips)');
      expect(lines).toHaveLength(7);
      // Plain output: ASCII only, no colour escapes.
      expect(result.stdout).toMatch(/^[\x20-\x7e\n]*$/);
    });

    it('box of issue #13, match=both: 3 trips in 2 of 5 weeks — 0.60 a week over the period, 1.50 over the active weeks', async () => {
      const period = await weekly(['--bbox', BOX, '--match', 'both']);
      expect(period).toMatchObject({ code: 0, stderr: '' });
      const expected: [string, number, number][] = WEEKS.map((w, i) => [w, [65, 0, 0, 33, 0][i], [2, 0, 0, 1, 0][i]]);
      expect(chart(period.stdout)).toEqual(expected);
      expect(period.stdout).toContain(`Trips per week, bbox ${BOX} (match both), 2018-04-30 - 2018-06-03 (5 weeks)\n`);
      expect(period.stdout).toContain('\naverage 0.60 trips/week = 3 trips / 5 weeks of the period (2 with trips)\n');

      const active = await weekly(['--bbox', BOX, '--weeks', 'active']);
      expect(active).toMatchObject({ code: 0, stderr: '' });
      expect(chart(active.stdout)).toEqual(expected);
      expect(active.stdout).toContain(
        '\naverage 1.50 trips/week = 3 trips / 2 weeks with trips (of 5 in the period)\n',
      );
    });

    it('--json prints the API answer as it is; --from/--to/--datasource reach the API', async () => {
      const args = ['--bbox', BOX, '--match', 'both', '--weeks', 'active', '--json'];
      const result = await weekly(args);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const printed = JSON.parse(result.stdout) as Record<string, unknown>;
      const direct = await fetch(`${api.url}/api/v1/trips/weekly-average?bbox=${BOX}&match=both&weeks=active`);
      expect(printed).toEqual(await direct.json());
      expect(printed).toMatchObject({
        weeksMode: 'active',
        weeks: 5,
        activeWeeks: 2,
        totalTrips: 3,
        weeklyAverage: 1.5,
      });

      const narrowed = await weekly([
        '--region',
        'prague',
        '--from',
        '2018-05-10',
        '--to',
        '2018-05-15',
        '--datasource',
        'cheap_mobile',
        '--json',
      ]);
      const body = JSON.parse(narrowed.stdout) as { filter: unknown; from: string; to: string; weeks: number };
      expect(body).toMatchObject({
        filter: { region: 'prague', datasource: 'cheap_mobile' },
        from: '2018-05-07',
        to: '2018-05-20',
        weeks: 2,
      });
    });

    it('takes the query-api URL from QUERY_API_PUBLIC_URL (--api is the same as --query-api)', async () => {
      const result = await weekly(['--region', 'Turin', '--weeks', 'active'], { QUERY_API_PUBLIC_URL: api.url });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(
        '\naverage 7.60 trips/week = 38 trips / 5 weeks with trips (of 5 in the period)\n',
      );
      const viaApi = await runCli(['weekly', '--region', 'Turin', '--weeks', 'active', '--api', api.url]);
      expect(viaApi.stdout).toBe(result.stdout);
    });

    it("the API's 400 is printed with its code and message (exit 2); bad arguments exit 2; no query-api: exit 3", async () => {
      const bad = await weekly(['--bbox', '15,50,14,51']);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain('trips: query refused: HTTP 400 invalid_bbox: bbox has minLon > maxLon');
      const date = await weekly(['--region', 'Prague', '--from', '2018-02-30', '--json']);
      expect(date.code).toBe(2);
      expect(date.stderr).toContain('HTTP 400 invalid_date: from must be a calendar date YYYY-MM-DD');
      expect(JSON.parse(date.stdout)).toMatchObject({ statusCode: 400, error: { code: 'invalid_date' } });

      for (const args of [[], ['--region', 'Prague', '--bbox', BOX], ['--region', 'Prague', '--weeks', 'all']]) {
        const result = await weekly(args);
        expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
        expect(result.stderr).toMatch(/^error: /);
      }
      const gone = await runCli(['weekly', '--region', 'Prague', '--query-api', 'http://127.0.0.1:1']);
      expect(gone.code).toBe(3);
      expect(gone.stderr).toContain('trips: cannot reach the query-api at http://127.0.0.1:1');
    });
  });

  it('prints the 422 error code of a file with a missing column and exits non-zero', async () => {
    const file = join(tmpdir(), `cli-missing-${process.pid}.csv`);
    writeFileSync(
      file,
      'region,origin_coord,destination_coord,datetime\nPrague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40\n',
    );
    const result = await runCli(['upload', file, '--gateway', urls.gateway, '--notifier', urls.notifier]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HTTP 422 missing_columns');
    expect(result.stderr).toContain('datasource');
    expect(result.stdout).not.toContain('completed');
  });

  it('takes its default URLs from UPLOAD_GATEWAY_PUBLIC_URL / NOTIFIER_PUBLIC_URL', async () => {
    const file = join(tmpdir(), `cli-empty-${process.pid}.csv`);
    writeFileSync(file, '');
    const result = await runCli(['upload', file], {
      UPLOAD_GATEWAY_PUBLIC_URL: urls.gateway,
      NOTIFIER_PUBLIC_URL: urls.notifier,
    });
    // It reached this gateway: the answer is the gateway's own error code for an empty body.
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HTTP 400 empty_body');
  });

  it('survives its notifier killed (SIGKILL) and another started: resumes, no event missed or repeated', async () => {
    const file = join(tmpdir(), `cli-notifier-kill-${process.pid}.csv`);
    writeFileSync(file, HEADER + rowGenerator(17)(100_000));
    const proxy = await startProxy(notifier.port);
    try {
      const cli = startCli(['upload', file, '--gateway', urls.gateway, '--notifier', proxy.url]);
      await eventually(() => /^#\d+\s+bronze/m.test(cli.run.stdout), {
        intervalMs: 20,
        timeoutMs: 60_000,
        what: 'the CLI printing bronze progress',
      });
      // The notifier dies without a goodbye; while it is gone, events pile up on the Kafka topic.
      proxy.cut();
      await notifier.kill();
      notifier = await startService('notifier', pipeline.env);
      urls.notifier = notifier.url;
      proxy.retarget(notifier.port);
      proxy.restore();
      const result = await cli.done;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('reconnected to');
      expect(result.stdout).toMatch(/^ {2}rows {6}100,000$/m);
      const id = /^ingestion ([0-9a-f-]{36}):/m.exec(result.stdout)?.[1];
      const { rows } = await pipeline.pool.query<{ max: number }>(
        'SELECT max(seq) AS max FROM meta.events WHERE ingestion_id = $1',
        [id],
      );
      expect(seqs(result.stdout)).toEqual(Array.from({ length: rows[0].max }, (_, i) => i + 1));
    } finally {
      proxy.close();
    }
  }, 150_000);

  it('survives a dropped connection: resumes from the last seq it saw, no event missed or repeated', async () => {
    const file = join(tmpdir(), `cli-drop-${process.pid}.csv`);
    writeFileSync(file, HEADER + rowGenerator(11)(100_000));
    const proxy = await startProxy(notifier.port);
    try {
      const cli = startCli(['upload', file, '--gateway', urls.gateway, '--notifier', proxy.url]);
      await eventually(() => /^#\d+\s+bronze/m.test(cli.run.stdout), {
        intervalMs: 20,
        timeoutMs: 60_000,
        what: 'the CLI printing bronze progress',
      });
      const id = /^ingestion ([0-9a-f-]{36}):/m.exec(cli.run.stdout)?.[1];
      // Cut the connection and keep it down until the ingestion has finished: every remaining event happens while the CLI is away.
      proxy.cut();
      const seenBefore = seqs(cli.run.stdout).at(-1) ?? 0;
      await eventually(
        async () =>
          (
            await pipeline.pool.query(
              `SELECT 1 FROM meta.events WHERE ingestion_id = $1 AND type = 'ingestion.completed'`,
              [id],
            )
          ).rowCount === 1,
        { timeoutMs: 90_000, what: 'the ingestion completing while the CLI is disconnected' },
      ).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${await pipeline.diagnose(id as string)}`, { cause: error });
      });
      const { rows } = await pipeline.pool.query<{ max: number }>(
        'SELECT max(seq) AS max FROM meta.events WHERE ingestion_id = $1',
        [id],
      );
      expect(rows[0].max).toBeGreaterThan(seenBefore);
      proxy.restore();
      const result = await cli.done;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('reconnected to');
      expect(result.stdout).toMatch(/^ {2}rows {6}100,000$/m);
      const seen = seqs(result.stdout);
      expect(seen).toEqual(Array.from({ length: rows[0].max }, (_, i) => i + 1));
    } finally {
      proxy.close();
    }
  }, 150_000);
});
