import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, PORT_KEYS, type ServiceName } from '#config';
import { repoRoot } from '#db';
import { eventually } from './eventually.js';

export { freePort, PORT_KEYS, type ServiceName } from '#config';

export interface RunningService {
  name: ServiceName;
  port: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves when the process has exited, however it ended, and its output has been read to the end. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for exit (graceful shutdown). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/**
 * Starts a compiled service (dist/) as a real process with the test environment; waits for /health 200
 * (or any answer: `waitForHealthy: false`; or for nothing: `wait: false`, for a process expected to exit).
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string> = {},
  options: { waitForHealthy?: boolean; wait?: boolean } = {},
): Promise<RunningService> {
  const waitForHealthy = options.waitForHealthy ?? true;
  const port = await freePort();
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HTTP_HOST: '127.0.0.1',
    [PORT_KEYS[name]]: String(port),
    ...env,
  };
  const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'apps', name, 'src', 'main.js')], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // 'close', not 'exit': the last lines a process wrote (why it exited) may still be in the pipes at 'exit'.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const service: RunningService = {
    name,
    port,
    url,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  if (options.wait === false) return service;
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${out.slice(-2000)}`);
        const res = await fetch(`${url}/health`);
        return waitForHealthy ? res.status === 200 : res.status > 0;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `${name} /health ${waitForHealthy ? '200' : 'answering'}` },
    );
  } catch (error) {
    await service.kill();
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${out.slice(-4000)}`, { cause: error });
  }
  return service;
}
