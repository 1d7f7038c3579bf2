import { EXIT } from '../cli-defaults.js';
import { NotifierClient } from '../follow/notifier-client.js';
import { PlainReporter } from '../output/plain-reporter.js';
import { formatSummary } from '../progress/format.js';
import { formatListItem, isTerminalState, parseIngestionList } from '../progress/ingestion-list.js';
import { IngestionTracker } from '../progress/ingestion-tracker.js';
import { finishFollowing } from './finish-following.js';
import { err, makeReporter, onInterrupt } from './output.js';
import { isUuid } from '#contracts';

export interface WatchCommandOptions {
  notifier: string;
  queryApi: string;
  /** How many recent ingestions `--all` lists (and replays when unfinished). */
  limit: number;
  /** API_TOKEN of the platform, when it sets one: the all-ingestions feed needs it. */
  token?: string;
}

/** GET a query-api resource; `undefined` when the query-api cannot be reached (it is optional for watching). */
async function getJson(url: URL): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    return undefined;
  }
}

/** `trips watch <id>`: replays the ingestion's stored events, follows it live, ends with its summary. */
export async function watchOneCommand(ingestionId: string, options: WatchCommandOptions): Promise<number> {
  if (!isUuid(ingestionId)) {
    err([`trips: ${ingestionId} is not an ingestion id (a UUID)`]);
    return EXIT.rejected;
  }
  const reporter = makeReporter();
  const tracker = new IngestionTracker(ingestionId, reporter);
  const client = new NotifierClient(
    options.notifier,
    (event) => tracker.apply(event),
    (message) => reporter.info(message),
  );
  const cleanup = () => {
    reporter.stop();
    client.close();
  };
  onInterrupt(cleanup);
  try {
    await client.connect();
    const ack = await client.follow(ingestionId);
    if (ack.replayed === 0) {
      // Nothing stored yet: either it is brand new or it does not exist; the query-api can tell.
      const status = await getJson(new URL(`/api/v1/ingestions/${ingestionId.toLowerCase()}`, options.queryApi));
      if (status?.status === 404) {
        cleanup();
        err([`trips: no ingestion ${ingestionId}`]);
        return EXIT.rejected;
      }
      reporter.info(`waiting for events of ingestion ${ingestionId}`);
    }
  } catch (error) {
    cleanup();
    err([`trips: ${(error as Error).message}`]);
    return EXIT.unreachable;
  }
  return finishFollowing(tracker, cleanup);
}

/**
 * `trips watch --all`: lists recent ingestions (query-api), replays the unfinished ones, then prints
 * every ingestion's events live until Ctrl-C. Plain lines prefixed with the ingestion id.
 */
export async function watchAllCommand(options: WatchCommandOptions): Promise<number> {
  const reporter = new PlainReporter(undefined, true);
  const trackers = new Map<string, IngestionTracker>();
  const trackerOf = (id: string): IngestionTracker => {
    let t = trackers.get(id);
    if (!t) {
      t = new IngestionTracker(id, reporter);
      trackers.set(id, t);
      void t.finished.then((final) =>
        reporter.info(`${id.slice(0, 8)} ${formatSummary(final).join(' ').replace(/\s+/g, ' ')}`),
      );
    }
    return t;
  };
  const client = new NotifierClient(
    options.notifier,
    (event) => trackerOf(event.ingestionId).apply(event),
    (message) => reporter.info(message),
    options.token,
  );
  onInterrupt(() => client.close());
  try {
    await client.connect();
    await client.followAll();
  } catch (error) {
    client.close();
    err([`trips: ${(error as Error).message}`]);
    return EXIT.unreachable;
  }
  const list = await getJson(new URL(`/api/v1/ingestions?limit=${options.limit}`, options.queryApi));
  if (!list || list.status !== 200) {
    reporter.info(`(query-api at ${options.queryApi} unavailable: showing live events only)`);
  } else {
    const items = parseIngestionList(list.body);
    reporter.info(items.length ? `${items.length} recent ingestion(s):` : 'no ingestions yet');
    for (const item of items) reporter.info(`  ${formatListItem(item)}`);
    // Unfinished ones are followed one by one: their history is replayed, then they go on live.
    for (const item of items.filter((i) => !isTerminalState(i.state)).reverse()) {
      trackerOf(item.ingestionId);
      await client.follow(item.ingestionId);
    }
  }
  reporter.info('following all ingestions live (Ctrl-C to stop)');
  await new Promise<never>(() => undefined);
  return EXIT.completed;
}
