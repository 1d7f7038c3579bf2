/** A segment's size, as meta.segments records it. */
export interface SegmentSize {
  segmentNo: number;
  rows: number;
}

/** When segments are merged (docs/architecture.md, "Merging segments"). */
export interface MergePolicy {
  /** Segments below this many rows are all in the lowest tier. */
  baseRows: number;
  /** Segments of one tier merged at once; each tier holds segments about this many times larger than the one below. */
  fanIn: number;
  /** No merge makes a segment of more rows; segments of at least this many rows are never merged again. */
  maxRows: number;
}

/** The size tier of a segment: 0 below baseRows × fanIn, then one more per factor fanIn. */
export function tierOf(rows: number, p: MergePolicy): number {
  if (rows < p.baseRows * p.fanIn) return 0;
  return Math.floor(Math.log(rows / p.baseRows) / Math.log(p.fanIn));
}

/**
 * The segments to merge next, or [] when no merge is due. Size-tiered: as soon as a tier holds
 * `fanIn` segments, its `fanIn` oldest are merged into one of the next tier (as many of them as fit
 * in maxRows, at least two: at the top tier, fewer). Each row is rewritten
 * about log_fanIn(maxRows / baseRows) times in all, and a table of N rows keeps at most about
 * (fanIn - 1) × that many partitions plus N / maxRows large ones. The lowest full tier goes first:
 * it removes as many partitions as any other merge, for the fewest rows rewritten.
 */
export function nextMerge(segments: readonly SegmentSize[], p: MergePolicy): number[] {
  const tiers = new Map<number, SegmentSize[]>();
  for (const s of [...segments].sort((a, b) => a.segmentNo - b.segmentNo)) {
    if (s.rows >= p.maxRows) continue;
    const tier = tierOf(s.rows, p);
    const members = tiers.get(tier) ?? [];
    members.push(s);
    tiers.set(tier, members);
  }
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const members = tiers.get(tier)!;
    if (members.length < p.fanIn) continue;
    // The merged segment stays within maxRows: a merge needs free disk for a copy of its sources
    // until it commits, so at the top tier it merges fewer (at least two) rather than more rows.
    const merge: number[] = [];
    let rows = 0;
    for (const s of members.slice(0, p.fanIn)) {
      if (rows + s.rows > p.maxRows) break;
      merge.push(s.segmentNo);
      rows += s.rows;
    }
    if (merge.length >= 2) return merge;
  }
  return [];
}
