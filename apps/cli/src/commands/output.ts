import { PlainReporter } from '../output/plain-reporter.js';
import type { Reporter } from '../output/reporter.js';
import { TtyReporter } from '../output/tty-reporter.js';

/** Bars only on an interactive terminal; anything else (pipes, CI, tests) gets plain lines. */
export const makeReporter = (tty: boolean = Boolean(process.stdout.isTTY)): Reporter =>
  tty ? new TtyReporter() : new PlainReporter();

export const out = (lines: string[]): void => {
  for (const line of lines) process.stdout.write(`${line}\n`);
};

export const err = (lines: string[]): void => {
  for (const line of lines) process.stderr.write(`${line}\n`);
};

/** Ctrl-C: run `cleanup` (remove bars, close the socket) before exiting with 130. */
export function onInterrupt(cleanup: () => void): void {
  process.once('SIGINT', () => {
    cleanup();
    process.stderr.write('\ninterrupted\n');
    process.exit(130);
  });
}
