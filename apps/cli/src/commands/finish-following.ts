import { EXIT } from '../cli-defaults.js';
import { formatSummary } from '../progress/format.js';
import type { IngestionTracker } from '../progress/ingestion-tracker.js';
import { err, out } from './output.js';

/**
 * The end of following one ingestion: waits for it to finish, runs `cleanup` (bars, socket), prints
 * its summary — on stdout when it completed, on stderr when it failed — and returns the exit code.
 */
export async function finishFollowing(tracker: IngestionTracker, cleanup: () => void): Promise<number> {
  const final = await tracker.finished;
  cleanup();
  if (final.state === 'completed') {
    out(formatSummary(final));
    return EXIT.completed;
  }
  err(formatSummary(final));
  return EXIT.failed;
}
