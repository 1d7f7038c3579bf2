// Live-event latency as a dashboard sees it: a socket.io client on the notifier's all-ingestions feed
// records, for every event, how long after its `occurredAt` it arrived (the services and this client
// share the machine's clock). Used by `run.ts --live`.
import type { SocketIngestionEvent } from '#contracts';
import { NotifierClient } from '../../apps/cli/src/follow/notifier-client.js';
import { percentile } from './queries.js';

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

/** Follows every ingestion's live events on the notifier at `url` and records their delays. */
export class LiveLatency {
  readonly delays: LiveDelay[] = [];
  private readonly client: NotifierClient;

  constructor(url: string) {
    this.client = new NotifierClient(url, (e: SocketIngestionEvent) =>
      this.delays.push({
        eventId: e.eventId,
        type: e.type,
        occurredAt: e.occurredAt,
        ms: Date.now() - Date.parse(e.occurredAt),
      }),
    );
  }

  async start(): Promise<void> {
    await this.client.connect();
    await this.client.followAll();
  }

  close(): void {
    this.client.close();
  }
}
