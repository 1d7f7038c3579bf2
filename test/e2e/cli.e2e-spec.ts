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
  let urls: { gateway: string; notifier: string };

  /** What a stuck ingestion looks like from the inside: its row, its chunk markers and the services' last log lines. */
  beforeAll(async () => {
    pipeline = await startPipeline('cli');
    notifier = await startService('notifier', pipeline.env);
    urls = { gateway: pipeline.gateway.url, notifier: notifier.url };
  }, 120_000);
  afterAll(async () => {
    // A CLI still following an ingestion after a failed assertion would keep jest alive.
    for (const child of children) child.kill('SIGKILL');
    await notifier?.stop();
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
