import cliProgress from 'cli-progress';
import type { SocketIngestionEvent } from '#contracts';
import { barValues, describeEvent, formatBytes } from '../progress/format.js';
import type { IngestionProgress } from '../progress/ingestion-progress.js';
import type { Reporter } from './reporter.js';

type Bar = ReturnType<cliProgress.MultiBar['create']>;
const LAYERS = ['bronze', 'silver', 'gold'] as const;

// cli-progress redraws by moving the cursor up one line per bar: a logged line that wraps would
// shift everything, so lines are cut to the terminal's width.
// Each line also erases what a bar left on that row (cli-progress only clears the first logged line).
const fit = (line: string): string => {
  const width = (process.stdout.columns || 100) - 1;
  return `\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`;
};

/** Terminal output: a bar of bytes sent, then one bar per layer (rows done / total). */
export class TtyReporter implements Reporter {
  private readonly multibar = new cliProgress.MultiBar(
    {
      format: ' {name} {bar} {percentage}% | {label}',
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      stream: process.stdout,
      fps: 10,
      // Logged lines push the bars down; a bar that did not change would otherwise not be redrawn at its new line.
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  private upload: Bar | undefined;
  private readonly layers = new Map<(typeof LAYERS)[number], Bar>();
  private stopped = false;

  uploadBytes(sent: number, total: number): void {
    this.upload ??= this.multibar.create(Math.max(total, 1), 0, { name: 'upload', label: '' });
    this.upload.update(sent, { label: `${formatBytes(sent)} / ${formatBytes(total)} sent` });
  }

  event(event: SocketIngestionEvent, progress: IngestionProgress): void {
    // Milestones (completions, failures) stay on screen above the bars; progress only moves bars.
    if (!event.type.endsWith('.progress')) this.multibar.log(`${fit(describeEvent(event))}\n`);
    for (const layer of LAYERS) {
      const { value, total, label } = barValues(progress[layer]);
      let bar = this.layers.get(layer);
      if (!bar) {
        bar = this.multibar.create(total, value, { name: layer.padEnd(6), label });
        this.layers.set(layer, bar);
      }
      bar.setTotal(total);
      bar.update(value, { label });
    }
  }

  info(line: string): void {
    this.multibar.log(`${fit(line)}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Logged lines wait for the next frame; stop() alone would drop the last ones (the completions).
    this.multibar.update();
    this.multibar.stop();
  }
}
