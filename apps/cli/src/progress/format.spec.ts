import type { SocketIngestionEvent } from '#contracts';
import { barValues, describeEvent, formatBytes, formatDuration, formatSummary, milestone } from './format.js';
import { initialProgress } from './ingestion-progress.js';

const ID = '8f2d1c3e-0000-4000-8000-000000000001';
const event = (
  type: SocketIngestionEvent['type'],
  layer: SocketIngestionEvent['layer'],
  data: object,
): SocketIngestionEvent =>
  ({
    seq: 1,
    eventId: `${type}:${ID}`,
    ingestionId: ID,
    type,
    layer,
    occurredAt: '2026-01-01T00:00:00.000Z',
    data,
  }) as SocketIngestionEvent;

describe('plain-text formatting', () => {
  it('describes each event on one line, prefixed by its layer', () => {
    expect(
      describeEvent(
        event('bronze.progress', 'bronze', { chunksLoaded: 1, rowsLoaded: 61000, totalChunks: null, totalRows: null }),
      ),
    ).toBe('bronze    61,000 rows loaded');
    expect(
      describeEvent(
        event('silver.progress', 'silver', {
          chunksDone: 5,
          totalChunks: 12,
          validRows: 43990,
          rejectedRows: 10,
          totalRows: 104000,
        }),
      ),
    ).toBe('silver    44,000/104,000 rows typed (43,990 valid, 10 rejected)');
    expect(
      describeEvent(event('ingestion.failed', 'ingestion', { stage: 'silver', code: 'x_code', message: 'broken' })),
    ).toBe('ingestion FAILED in silver: x_code: broken');
    expect(
      describeEvent(
        event('ingestion.completed', 'ingestion', { rows: 100, validRows: 100, rejectedRows: 0, durationMs: 912 }),
      ),
    ).toBe('ingestion completed: 100 rows in 912 ms');
  });

  it('formats bytes and durations for people', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12_800)).toBe('12.5 KiB');
    expect(formatBytes(1.27e9)).toBe('1.18 GiB');
    expect(formatDuration(912)).toBe('912 ms');
    expect(formatDuration(2_345)).toBe('2.35 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });

  it('summarises a completed ingestion with rows, valid, rejected, duration and rate', () => {
    const p = {
      ...initialProgress(ID),
      state: 'completed' as const,
      summary: { rows: 100, validRows: 98, rejectedRows: 2, durationMs: 500 },
    };
    expect(formatSummary(p)).toEqual([
      `Ingestion ${ID} completed`,
      '  rows      100',
      '  valid     98',
      '  rejected  2',
      '  duration  500 ms',
      '  rate      200 rows/s',
    ]);
  });

  it('summarises a failure with its code and message', () => {
    const p = {
      ...initialProgress(ID),
      state: 'failed' as const,
      failure: { stage: 'bronze', code: 'dead_letter', message: 'chunk malformed' },
    };
    expect(formatSummary(p).join('\n')).toContain('dead_letter: chunk malformed');
  });

  it('reports 25 % milestones of the bytes sent', () => {
    expect([0, 24, 25, 49, 99, 100].map((d) => milestone(d, 100))).toEqual([0, 0, 25, 25, 75, 100]);
    expect(milestone(0, 0)).toBe(100);
  });

  it('gives cli-progress a bar it can draw: never 0 of 0, full when completed, + while provisional', () => {
    expect(barValues({ done: 0, total: null, totalFinal: false, completed: false })).toEqual({
      value: 0,
      total: 1,
      label: '0 rows',
    });
    expect(barValues({ done: 120, total: 200, totalFinal: false, completed: false })).toEqual({
      value: 120,
      total: 200,
      label: '120/200+ rows',
    });
    expect(barValues({ done: 0, total: 0, totalFinal: true, completed: true })).toEqual({
      value: 1,
      total: 1,
      label: '0/0 rows',
    });
    expect(barValues({ done: 1500, total: 1000, totalFinal: true, completed: false }).value).toBe(1000);
  });
});
