// The parts of the system a load script starts for itself and stops again: the local Kafka broker
// (only when none answers; one that was running is left running), services of dist/ as child processes
// on free ports, the topics of a prefix. `Teardown` runs the stops once, in reverse order, at the end
// or on SIGINT/SIGTERM. (npm run bench, scripts/bench/run.ts, does the same inline on fixed ports.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, PORT_KEYS, type Env, type ServiceName as AnyService } from '#config';
import { repoRoot } from '#db';
import { createKafka } from '#kafka';

/** The services a load script starts (the notifier is not one of them). */
export type ServiceName = Exclude<AnyService, 'notifier'>;

/** Stops registered with `add`, run once, last added first (`run`), also on SIGINT/SIGTERM (then exit 130). */
export class Teardown {
  private readonly steps: { what: string; stop: () => Promise<void> | void }[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly say: (msg: string) => void) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        say(`${signal}: stopping everything this run started`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }

  add(what: string, stop: () => Promise<void> | void): void {
    this.steps.push({ what, stop });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.stop();
        } catch (error) {
          this.say(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.running;
  }
}

/**
 * scripts/kafka/start.sh: starts the local broker unless one answers (or KAFKA_BROKERS points
 * elsewhere). Registers its stop with `teardown` only when this run started it.
 */
export function startKafkaIfNeeded(teardown: Teardown, say: (msg: string) => void): void {
  const root = repoRoot();
  let out = '';
  try {
    out = execFileSync('bash', [join(root, 'scripts/kafka/start.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
  } finally {
    process.stdout.write(out);
  }
  // start.sh says "started kafka.Kafka (pid N)" when it launched the broker, "already running" otherwise.
  if (/started kafka\.Kafka/.test(out)) {
    teardown.add('stop Kafka', () => {
      say('stopping the Kafka broker this run started');
      execFileSync('bash', [join(root, 'scripts/kafka/stop.sh')], { stdio: 'inherit' });
    });
  }
}

/** Deletes the topics of `prefix` (a run's own, never an empty prefix) from the broker of `env`. */
export async function deleteTopics(env: Env, prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete the topics of an empty prefix');
  const admin = createKafka(env, 'bench-cleanup').admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export interface Service {
  name: ServiceName;
  url: string;
  child: ChildProcess;
  /** SIGTERM, SIGKILL after 20 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a compiled service on a free loopback port with `env` over this process's environment and
 * waits until its /health answers: 200, or with `anyAnswer` any status (query-api serves queries
 * without the Kafka its /health also checks). Its output goes to this process's, or to `logFile`.
 * Registers its stop.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  teardown: Teardown,
  options: { anyAnswer?: boolean; logFile?: string } = {},
): Promise<Service> {
  const port = await freePort();
  const log = options.logFile === undefined ? 'inherit' : openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps', name, 'src/main.js')], {
    env: { ...process.env, HTTP_HOST: '127.0.0.1', ...env, [PORT_KEYS[name]]: String(port) },
    stdio: ['ignore', log, log],
  });
  if (typeof log === 'number') closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const service: Service = {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    },
  };
  teardown.add(`stop ${name}`, () => service.stop());
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it answered`);
    const status = await fetch(`${service.url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || (options.anyAnswer && status > 0)) return service;
    if (i > 300)
      throw new Error(`${name} on port ${port}: /health not ${options.anyAnswer ? 'answering' : '200'} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** VmRSS of a process in MB, undefined once it is gone. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
