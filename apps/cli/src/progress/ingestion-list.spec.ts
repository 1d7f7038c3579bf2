import { formatListItem, isTerminalState, parseIngestionList } from './ingestion-list.js';

describe("the query-api's ingestion list", () => {
  it('reads { items } and bare arrays, skipping entries without an id', () => {
    const item = {
      ingestionId: 'ABCDEF12-0000-4000-8000-000000000001',
      state: 'processing',
      fileName: 'a.csv',
      totalRows: '1000',
    };
    expect(parseIngestionList({ items: [item, { state: 'completed' }, null] })).toEqual([
      {
        ingestionId: 'abcdef12-0000-4000-8000-000000000001',
        state: 'processing',
        fileName: 'a.csv',
        rows: 1000,
        acceptedAt: null,
      },
    ]);
    expect(parseIngestionList([item])).toHaveLength(1);
    expect(parseIngestionList({ unexpected: true })).toEqual([]);
  });

  it('formats one line per ingestion and knows the terminal states', () => {
    expect(
      formatListItem({
        ingestionId: 'abcdef12-0000',
        state: 'completed',
        fileName: 'a.csv',
        rows: 1000,
        acceptedAt: null,
      }),
    ).toBe('abcdef12 completed  a.csv 1,000 rows');
    expect(['completed', 'failed', 'processing'].map(isTerminalState)).toEqual([true, true, false]);
  });
});
