import type { SocketIngestionEvent } from '#contracts';
import { describeEvent, formatBytes, milestone } from '../progress/format.js';
import type { IngestionProgress } from '../progress/ingestion-progress.js';
import type { Reporter } from './reporter.js';

/** Non-TTY output (pipes, CI, tests): one line per event and per 25 % of the file sent, nothing redrawn. */
export class PlainReporter implements Reporter {
  private lastMilestone = -1;

  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly withIds = false,
  ) {}

  uploadBytes(sent: number, total: number): void {
    const m = milestone(sent, total);
    if (m <= this.lastMilestone) return;
    this.lastMilestone = m;
    this.write(`${'sending'.padEnd(9)} ${m}% (${formatBytes(sent)} of ${formatBytes(total)})`);
  }

  /** `#<seq>` first: the position a re-subscription resumes from, and proof in logs that none was skipped. */
  event(event: SocketIngestionEvent, _progress: IngestionProgress): void {
    const line = `${`#${event.seq}`.padEnd(4)} ${describeEvent(event)}`;
    this.write(this.withIds ? `${event.ingestionId.slice(0, 8)} ${line}` : line);
  }

  info(line: string): void {
    this.write(line);
  }

  stop(): void {}
}
