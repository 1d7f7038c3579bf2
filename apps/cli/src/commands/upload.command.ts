import { randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { EXIT } from '../cli-defaults.js';
import { NotifierClient } from '../follow/notifier-client.js';
import { formatBytes } from '../progress/format.js';
import { IngestionTracker } from '../progress/ingestion-tracker.js';
import { uploadFile } from '../upload/upload-file.js';
import { formatHttpFailure } from '../upload/upload-request.js';
import { finishFollowing } from './finish-following.js';
import { err, makeReporter, onInterrupt, out } from './output.js';

export interface UploadCommandOptions {
  gateway: string;
  notifier: string;
  /** false (`--no-follow`): upload, print the 202 answer, exit; no notifier needed. */
  follow: boolean;
  /** API_TOKEN of the platform, when it sets one (`--token`, TRIPS_API_TOKEN). */
  token?: string;
}

/**
 * `trips upload <file>`: chooses the ingestion id, subscribes to it on the notifier, then streams the
 * file — so every event, from `ingestion.accepted` on, is seen live — and follows it to the end.
 */
export async function uploadCommand(file: string, options: UploadCommandOptions): Promise<number> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    err([`trips: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
    return EXIT.rejected;
  }
  const ingestionId = randomUUID();
  const reporter = makeReporter();
  const tracker = new IngestionTracker(ingestionId, reporter);
  let client: NotifierClient | undefined;
  const cleanup = () => {
    reporter.stop();
    client?.close();
  };
  onInterrupt(cleanup);

  if (options.follow) {
    client = new NotifierClient(
      options.notifier,
      (event) => tracker.apply(event),
      (message) => reporter.info(message),
    );
    try {
      await client.connect();
      await client.follow(ingestionId);
    } catch (error) {
      cleanup();
      err([`trips: ${(error as Error).message}`, 'trips: use --no-follow to upload without live progress']);
      return EXIT.unreachable;
    }
  }

  reporter.info(`ingestion ${ingestionId}: uploading ${file} to ${options.gateway}`);
  const outcome = await uploadFile({
    gatewayUrl: options.gateway,
    filePath: file,
    ingestionId,
    token: options.token,
    onBytes: (sent, total) => reporter.uploadBytes(sent, total),
  });
  if (!outcome.ok) {
    cleanup();
    err(formatHttpFailure(outcome.failure));
    return outcome.failure.status === 0 ? EXIT.unreachable : EXIT.rejected;
  }
  const u = outcome.body.upload;
  reporter.info(
    `uploaded${u ? `: ${u.rows.toLocaleString('en-US')} rows, ${formatBytes(u.bytes)}, sha256 ${u.sha256.slice(0, 16)}…` : ''}; status: ${outcome.body.statusUrl}`,
  );
  if (!client) {
    out([JSON.stringify(outcome.body)]);
    return EXIT.completed;
  }

  return finishFollowing(tracker, cleanup);
}
