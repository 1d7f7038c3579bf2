import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { dropDatabase, repoRoot } from '#db';
import { eventually, freePort, freshDatabase, PORT_KEYS } from '#testing';

/** Whether a process with this pid is alive. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// `npm start` supervises the services like a process manager: a crashed service comes back.
describe('npm start (scripts/start.mjs)', () => {
  let start: ChildProcess;
  let out = '';
  let databaseUrl: string;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    for (const key of Object.values(PORT_KEYS)) ports[key] = await freePort();
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      DATABASE_URL: (databaseUrl = await freshDatabase('start')),
      KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? ''}start.`,
      KAFKA_EXTERNAL: '1', // the tests' broker
      START_BUILD: '0', // the global setup built dist/
      HTTP_HOST: '127.0.0.1',
    };
    start = spawn(process.execPath, [join(repoRoot(), 'scripts', 'start.mjs')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    start.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    start.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    await eventually(() => out.includes('[start] Ctrl-C stops everything.'), {
      timeoutMs: 150_000,
      what: `all services healthy\n${out.slice(-3000)}`,
    });
  }, 180_000);

  afterAll(async () => {
    if (start.exitCode === null) start.kill('SIGKILL');
    if (process.env.KEEP_TEST_DB !== '1') await dropDatabase(databaseUrl);
  });

  const pidOf = (name: string): number =>
    Number(new RegExp(`\\[start\\] +${name} +\\S+ \\(pid (\\d+)\\)`).exec(out)?.[1]);

  it('restarts a service killed with SIGKILL, logs it, and stops everything on SIGINT', async () => {
    const pids = ['upload-gateway', 'query-api', 'notifier', 'bronze-loader', 'transformer'].map(pidOf);
    expect(pids.every((pid) => pid > 0 && alive(pid))).toBe(true);
    const transformer = pidOf('transformer');
    process.kill(transformer, 'SIGKILL');
    const restarted = await eventually(
      () => new RegExp(`\\[start\\] transformer restarted \\(pid (\\d+)\\)`).exec(out)?.[1],
      { timeoutMs: 30_000, what: 'the transformer restarted' },
    );
    expect(out).toContain(`[start] transformer (pid ${transformer}) exited (SIGKILL); restarting in 1 s`);
    await eventually(async () => (await fetch(`http://127.0.0.1:${ports.TRANSFORMER_PORT}/health`)).status === 200, {
      timeoutMs: 60_000,
      what: 'the restarted transformer healthy',
    });
    // The others were left alone.
    expect(pids.filter((pid) => pid !== transformer).every(alive)).toBe(true);

    const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
    start.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('[start] stopped');
    expect([...pids, Number(restarted)].filter(alive)).toEqual([]);
  }, 120_000);
});
