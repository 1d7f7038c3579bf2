/** One line of `trips watch --all`'s opening list. */
export interface IngestionListItem {
  ingestionId: string;
  /** An IngestionState (see #contracts), or a state this CLI does not know yet (a newer server). */
  state: string;
  fileName: string | null;
  rows: number | null;
  acceptedAt: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v);

/** Reads the query-api's ingestion list (`{ items: [...] }` or a bare array), keeping only well-formed entries. */
export function parseIngestionList(body: unknown): IngestionListItem[] {
  const b = body as { items?: unknown; ingestions?: unknown; data?: unknown } | unknown[] | null;
  const list = Array.isArray(b)
    ? b
    : Array.isArray(b?.items)
      ? b.items
      : Array.isArray(b?.ingestions)
        ? b.ingestions
        : Array.isArray(b?.data)
          ? b.data
          : [];
  const items: IngestionListItem[] = [];
  for (const raw of list as Record<string, unknown>[]) {
    if (!raw || typeof raw !== 'object') continue;
    const id = str(raw.ingestionId) ?? str(raw.id);
    if (!id) continue;
    const counts = (raw.counts ?? {}) as Record<string, unknown>;
    items.push({
      ingestionId: id.toLowerCase(),
      state: str(raw.state) ?? 'unknown',
      fileName: str(raw.fileName),
      rows: numOrNull(raw.totalRows ?? counts.totalRows ?? counts.rows ?? raw.rows),
      acceptedAt: str(raw.acceptedAt),
    });
  }
  return items;
}

export const isTerminalState = (state: string): boolean =>
  state === 'completed' || state === 'failed' || state === 'retracted';

export function formatListItem(item: IngestionListItem): string {
  const rows = item.rows === null ? '' : ` ${item.rows.toLocaleString('en-US')} rows`;
  return `${item.ingestionId.slice(0, 8)} ${item.state.padEnd(10)}${item.fileName ? ` ${item.fileName}` : ''}${rows}`;
}
