// Types of the parts of progress.js its unit spec uses (the page loads progress.js as a plain ES module).
export interface Progress {
  ingestionId: string;
  lastSeq: number;
  state: string;
  fileName: string | null;
  validRows: number;
  rejectedRows: number;
  [field: string]: unknown;
}
export interface PageEvent {
  ingestionId: string;
  seq: number;
  type: string;
  occurredAt?: string;
  data?: Record<string, unknown>;
}
export const TERMINAL: Set<string>;
export const RETRACTION: Set<string>;
export const SETTLED: Set<string>;
export function blank(ingestionId: string): Progress;
export function fromSnapshot(item: Record<string, unknown>, previous?: Progress): Progress;
export function applyEvent(p: Progress, event: PageEvent): Progress;
