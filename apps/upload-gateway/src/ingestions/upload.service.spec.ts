import { REQUIRED_COLUMNS } from '#contracts';
import { chunkTargetBytes } from './upload.service.js';

describe('chunkTargetBytes', () => {
  const topic = 'test-abc.gw.trips.raw-chunks.v1';

  it('leaves room for key, x-raw header and protocol framing so a 512 KiB message stays within 512 KiB', () => {
    const target = chunkTargetBytes(512 * 1024, [...REQUIRED_COLUMNS], topic);
    const header = JSON.stringify({
      kind: 'chunk',
      ingestionId: 'f'.repeat(36),
      seq: 123456,
      firstLine: 98765432,
      columns: REQUIRED_COLUMNS,
    });
    expect(target + header.length + 36 + 12 + 61 + 2 * topic.length).toBeLessThan(512 * 1024);
    expect(target).toBeGreaterThan(510 * 1024);
  });

  it('grows the room with the header (many extra columns) but never cuts chunks below half the limit', () => {
    const many = Array.from({ length: 500 }, (_, i) => `extra_column_${i}`);
    expect(chunkTargetBytes(512 * 1024, many, topic)).toBeLessThan(
      chunkTargetBytes(512 * 1024, [...REQUIRED_COLUMNS], topic) - 8000,
    );
    expect(chunkTargetBytes(2048, many, topic)).toBe(1024);
  });
});
