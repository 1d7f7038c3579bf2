#!/usr/bin/env node
// `npm start`: one command for a developer machine. Starts Kafka (unless KAFKA_BROKERS points
// elsewhere or a broker already answers), builds, prepares the database and topics, starts the five
// services and waits for their /health. It supervises them like a process manager: a service that
// exits is restarted with backoff (1 s, doubling to 30 s; back to 1 s once it ran a minute), and
// each restart is logged. Ctrl-C (SIGINT/SIGTERM) stops everything it started, Kafka included.
// START_BUILD=0 skips the build (the tests run it on a tree they built already).
// The services share this terminal (stdio inherited), so on a TTY they log readable lines, each naming
// its service, and JSON lines when this script's output is piped (LOG_FORMAT, libs/config).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = [
  ['upload-gateway', 'UPLOAD_GATEWAY_PORT', 3000, '/docs'],
  ['query-api', 'QUERY_API_PORT', 3001, '/docs'],
  ['notifier', 'NOTIFIER_PORT', 3002, '/'],
  ['bronze-loader', 'BRONZE_LOADER_PORT', 3003, '/health'],
  ['transformer', 'TRANSFORMER_PORT', 3004, '/health'],
];
const log = (msg) => process.stdout.write(`[start] ${msg}\n`);
/** The running process of each service (replaced on restart). */
const children = new Map();
/** Pending restarts, cancelled by Ctrl-C. */
const restarts = new Set();
let startedKafka = false;
let stopping = false;

function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  log('stopping services...');
  for (const timer of restarts) clearTimeout(timer);
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => (clearTimeout(timer), resolve()));
          child.kill('SIGTERM');
        }),
    ),
  );
  if (startedKafka) {
    log('stopping Kafka...');
    try {
      run('bash', [join(root, 'scripts/kafka/stop.sh')]);
    } catch {
      /* reported by the script */
    }
  }
  log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function waitHealthy(name, port) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} did not become healthy on port ${port}`);
}

async function main() {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const local = brokers.split(',').every((b) => /^(127\.0\.0\.1|localhost):9092$/.test(b.trim()));
  if (local && process.env.KAFKA_EXTERNAL !== '1') {
    const pidFile = join(root, '.cache/kafka/kafka.pid');
    const wasRunning = existsSync(pidFile);
    run('bash', [join(root, 'scripts/kafka/start.sh')]);
    startedKafka = !wasRunning && existsSync(pidFile);
  } else {
    log(`using Kafka at ${brokers}`);
  }

  if (process.env.START_BUILD !== '0') {
    log('building...');
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  }
  run(process.execPath, [join(root, 'dist/scripts/setup.js')]);

  for (const [name] of services) supervise(name);
  await Promise.all(services.map(([name, key, def]) => waitHealthy(name, Number(process.env[key] ?? def))));
  log('all services healthy:');
  for (const [name, key, def, path] of services) {
    log(`  ${name.padEnd(15)} http://localhost:${process.env[key] ?? def}${path} (pid ${children.get(name).pid})`);
  }
  log('Ctrl-C stops everything.');
}

/** Starts a service and restarts it whenever it exits, until Ctrl-C. */
function supervise(name, restart = 0) {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [join(root, 'dist/apps', name, 'src/main.js')], {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
  });
  children.set(name, child);
  if (restart > 0) log(`${name} restarted (pid ${child.pid})`);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    // A service that ran a minute crashed afresh: start the backoff over.
    const attempt = Date.now() - startedAt > 60_000 ? 1 : restart + 1;
    const delay = Math.min(30_000, 1_000 * 2 ** (attempt - 1));
    log(`${name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) supervise(name, attempt);
    }, delay);
    restarts.add(timer);
  });
}

main().catch((error) => {
  process.stderr.write(`[start] ${error.message}\n`);
  void stopAll(1);
});
