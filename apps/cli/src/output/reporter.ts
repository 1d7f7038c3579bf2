import type { SocketIngestionEvent } from '#contracts';
import type { IngestionProgress } from '../progress/ingestion-progress.js';

/** Where the CLI's progress goes: bars on a terminal, plain lines otherwise. */
export interface Reporter {
  /** File bytes handed to the upload connection so far. */
  uploadBytes(sent: number, total: number): void;
  /** An event was applied; `progress` is the state after it. */
  event(event: SocketIngestionEvent, progress: IngestionProgress): void;
  /** A line of information (connection status, the 202 answer). */
  info(line: string): void;
  /** Removes the bars (if any) so what follows prints cleanly. */
  stop(): void;
}
