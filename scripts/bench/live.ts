// Live-event latency as a dashboard sees it: a socket.io client on the notifier's all-ingestions feed
// (live-client.ts, in a process of its own) records, for every event, how long after its `occurredAt`
// it arrived. Used by `run.ts --live`.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { percentile } from './queries.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface LiveDelay {
  eventId: string;
  type: string;
  occurredAt: string;
  /** Arrival minus occurredAt, in ms. */
  ms: number;
}

export interface LiveSummary {
  events: number;
  p50: number;
  p95: number;
  max: number;
  byType: Record<string, { n: number; p50: number; p95: number; max: number }>;
  /** The five latest arrivals, slowest first. */
  slowest: LiveDelay[];
}

/** Percentiles of the delays, overall and per event type (pure). */
export function summarize(delays: readonly LiveDelay[]): LiveSummary {
  const stats = (list: readonly LiveDelay[]) => {
    const ms = list.map((d) => d.ms).sort((a, b) => a - b);
    return { n: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms.at(-1) ?? 0 };
  };
  const types = [...new Set(delays.map((d) => d.type))].sort();
  const all = stats(delays);
  return {
    events: all.n,
    p50: all.p50,
    p95: all.p95,
    max: all.max,
    byType: Object.fromEntries(types.map((t) => [t, stats(delays.filter((d) => d.type === t))])),
    slowest: [...delays].sort((a, b) => b.ms - a.ms).slice(0, 5),
  };
}

/**
 * Follows every ingestion's live events on the notifier at `url` from a separate process
 * (live-client.ts), as an independent dashboard would, and collects their delays.
 */
export class LiveLatency {
  readonly delays: LiveDelay[] = [];
  private child: ChildProcess | undefined;

  constructor(private readonly url: string) {}

  /** Resolves once the client process is subscribed. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(here, 'live-client.js'), this.url], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`live client exited (${code}) before subscribing`)));
      lines.on('line', (line) => {
        if (line === 'ready') resolve();
        else this.delays.push(JSON.parse(line) as LiveDelay);
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Closes the client's stdin; it disconnects and exits. */
  close(): void {
    this.child?.stdin?.end();
  }
}
