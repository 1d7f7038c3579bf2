import { nextMerge, tierOf, type MergePolicy, type SegmentSize } from './merge-policy.js';

const policy: MergePolicy = { baseRows: 1_000, fanIn: 4, maxRows: 100_000 };
const seg = (segmentNo: number, rows: number): SegmentSize => ({ segmentNo, rows });

describe('merge policy', () => {
  it('puts every segment below baseRows × fanIn in tier 0, then one tier per factor fanIn', () => {
    expect([1, 999, 1_000, 3_999].map((r) => tierOf(r, policy))).toEqual([0, 0, 0, 0]);
    expect([4_000, 15_999, 16_000, 64_000].map((r) => tierOf(r, policy))).toEqual([1, 1, 2, 3]);
  });

  it('merges the fanIn oldest segments of the lowest full tier, and nothing before a tier is full', () => {
    expect(nextMerge([seg(1, 10), seg(2, 500), seg(3, 3_000)], policy)).toEqual([]);
    const segments = [seg(9, 5_000), seg(3, 10), seg(8, 4_000), seg(5, 20), seg(4, 2_000), seg(6, 30), seg(7, 6_000)];
    expect(nextMerge(segments, policy)).toEqual([3, 4, 5, 6]);
    expect(nextMerge([seg(9, 5_000), seg(8, 4_000), seg(7, 6_000), seg(10, 7_000), seg(1, 5)], policy)).toEqual([
      7, 8, 9, 10,
    ]);
  });

  it('never makes a segment larger than maxRows: at the top tier it merges fewer, at least two', () => {
    // 4 × 30 000 rows is tier 2 and full, but 120 000 > maxRows: the 3 oldest (90 000) are merged.
    expect(nextMerge([seg(1, 30_000), seg(2, 30_000), seg(3, 30_000), seg(4, 30_000)], policy)).toEqual([1, 2, 3]);
    // 4 × 64 000 (tier 3): only one fits in 100 000 rows, so nothing is merged.
    expect(nextMerge([seg(1, 64_000), seg(2, 64_000), seg(3, 64_000), seg(4, 64_000)], policy)).toEqual([]);
  });

  it('never merges segments of maxRows or more', () => {
    expect(nextMerge([seg(1, 100_000), seg(2, 200_000), seg(3, 150_000), seg(4, 100_000)], policy)).toEqual([]);
  });

  it('keeps the number of segments logarithmic as equal segments keep arriving', () => {
    let segments: SegmentSize[] = [];
    let next = 1;
    let rewritten = 0;
    for (let i = 0; i < 256; i++) {
      segments.push(seg(next++, 1_000));
      for (let merge = nextMerge(segments, policy); merge.length; merge = nextMerge(segments, policy)) {
        const rows = segments.filter((s) => merge.includes(s.segmentNo)).reduce((n, s) => n + s.rows, 0);
        rewritten += rows;
        segments = [...segments.filter((s) => !merge.includes(s.segmentNo)), seg(next++, rows)];
      }
      // Tiers 0–3 lie below maxRows (64 000 rows is tier 3): at most fanIn - 1 segments each, plus the large ones.
      expect(segments.length).toBeLessThanOrEqual(4 * 3 + Math.ceil((i + 1) / 256));
    }
    // 256 segments of 1 000 rows: each row rewritten once per tier it climbs (1k → 4k → 16k → 64k; two 64k
    // segments would exceed maxRows).
    expect(segments.reduce((n, s) => n + s.rows, 0)).toBe(256_000);
    expect(rewritten / 256_000).toBeLessThanOrEqual(3);
  });
});
