import { EXIT } from '../cli-defaults.js';
import { NotifierClient } from '../follow/notifier-client.js';
import { err, onInterrupt, out } from './output.js';

export interface RetractCommandOptions {
  gateway: string;
  notifier: string;
  /** API_TOKEN of the platform, when it sets one (`--token`, TRIPS_API_TOKEN). */
  token?: string;
  /** false (`--no-wait`): ask for the retraction and exit, without waiting for it. */
  wait: boolean;
}

/**
 * `trips retract <ingestionId>`: `DELETE /api/v1/ingestions/:id` on the upload-gateway, then (unless
 * `--no-wait`) follows the ingestion's events on the notifier until `ingestion.retracted`: from then on
 * no answer counts its rows.
 */
export async function retractCommand(ingestionId: string, options: RetractCommandOptions): Promise<number> {
  let res: Response;
  try {
    res = await fetch(new URL(`/api/v1/ingestions/${encodeURIComponent(ingestionId)}`, options.gateway), {
      method: 'DELETE',
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
  } catch (error) {
    err([`trips: cannot reach the upload-gateway at ${options.gateway}: ${(error as Error).message}`]);
    return EXIT.unreachable;
  }
  const body = (await res.json().catch(() => ({}))) as {
    state?: string;
    error?: { code: string; message: string };
  };
  if (res.status === 200) {
    out([`Ingestion ${ingestionId} is retracted: no answer counts its rows.`]);
    return EXIT.completed;
  }
  if (res.status !== 202) {
    err([`Retraction refused: HTTP ${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? ''}`]);
    return res.status >= 500 ? EXIT.unreachable : EXIT.rejected;
  }
  out([`ingestion ${ingestionId}: retraction requested; its rows count until it is done`]);
  if (!options.wait) return EXIT.completed;

  let client: NotifierClient | undefined;
  onInterrupt(() => client?.close());
  try {
    const trips = await new Promise<number>((resolve, reject) => {
      client = new NotifierClient(
        options.notifier,
        (event) => {
          if (event.type === 'ingestion.retracted') resolve(Number((event.data as { trips: number }).trips));
        },
        (message) => out([message]),
        options.token,
      );
      client
        .connect()
        .then(() => client!.follow(ingestionId))
        .catch(reject);
    });
    out([`Ingestion ${ingestionId} retracted: ${trips.toLocaleString('en-US')} trips left silver and gold.`]);
    return EXIT.completed;
  } catch (error) {
    err([`trips: ${(error as Error).message}`, 'trips: use --no-wait to only ask for the retraction']);
    return EXIT.unreachable;
  } finally {
    client?.close();
  }
}
