/**
 * "Largest first" over segments, without adding up every group: a threshold top-k (Fagin's
 * threshold algorithm). A group's trips are split into parts, at most one per segment, and its size
 * is the sum of its parts. Each segment lists its parts largest first (migration 0019; parts of one
 * trip are not listed). Reading the lists a batch at a time, every group seen is looked up in full;
 * a group not seen yet has, in each segment, a part no larger than the last one read there — or
 * than `unlistedMax` once the segment's list is exhausted — so its size is at most the sum of those.
 * Once the page's last group is larger than that bound, no unseen group can enter the page.
 *
 * Pure: the lists and the lookups are the caller's (TripGroupsRepository), so this runs in memory
 * in the tests, against brute force.
 */

/** A group's key: region, origin cell, destination cell, time-of-day bucket. */
export type GroupId = readonly [regionId: number, originCell: number, destinationCell: number, todBucket: number];

/** A group (or a part of one) and its number of trips. */
export interface Sized {
  count: number;
  id: GroupId;
}

/** Page order: larger first, then by key ascending. */
export function bySize(a: Sized, b: Sized): number {
  return b.count - a.count || compareIds(a.id, b.id);
}

function compareIds(a: GroupId, b: GroupId): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * Where to resume reading a list: the parts after `after` in page order. A count with no key
 * (the start of a page after a cursor) means every part of at most that count.
 */
export interface ListPosition {
  count: number;
  id?: GroupId;
}

export interface TopGroupsSource<G extends Sized> {
  /** The next parts of each list, at most `limit` each, in page order, after each request's position. */
  read(requests: readonly { list: number; from: ListPosition; limit: number }[]): Promise<Sized[][]>;
  /** Every given group in full (all its parts added up); groups the filter excludes are absent. */
  totals(ids: readonly GroupId[]): Promise<G[]>;
}

export interface TopGroupsQuery {
  /** Number of lists (segments). */
  lists: number;
  /** Groups wanted. */
  limit: number;
  /** The last group of the previous page: this page holds the groups after it in page order. */
  after?: Sized;
  /** The largest part a list leaves out (parts of one trip are not listed). */
  unlistedMax: number;
  /** Parts read from each list by the first round; each further round reads four times as many. */
  firstBatch?: number;
}

/**
 * The page, or `undefined` when the lists cannot decide it: every list was read to its end and the
 * page still reaches down to sizes that unlisted parts could add up to (the caller then adds up
 * every group).
 */
export async function topGroups<G extends Sized>(
  source: TopGroupsSource<G>,
  query: TopGroupsQuery,
): Promise<G[] | undefined> {
  const { lists, limit, after, unlistedMax } = query;
  const start: ListPosition = { count: after?.count ?? Number.MAX_SAFE_INTEGER };
  // A group after the cursor has at most the cursor's size, so each of its parts has too.
  const position: ListPosition[] = Array.from({ length: lists }, () => start);
  const bound: number[] = Array.from({ length: lists }, () => start.count);
  const done: boolean[] = Array.from({ length: lists }, () => false);
  const seen = new Set<string>();
  const candidates: G[] = [];
  let batch = Math.max(query.firstBatch ?? limit, 1);

  for (;;) {
    const open = [...done.keys()].filter((l) => !done[l]);
    const parts = await source.read(open.map((list) => ({ list, from: position[list], limit: batch })));
    const fresh: GroupId[] = [];
    open.forEach((list, i) => {
      const read = parts[i];
      if (read.length < batch) done[list] = true;
      const last = read.at(-1);
      if (last) position[list] = last;
      bound[list] = done[list] ? Math.min(unlistedMax, bound[list]) : last!.count;
      for (const part of read) {
        const key = part.id.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push(part.id);
      }
    });
    if (fresh.length) {
      for (const group of await source.totals(fresh)) {
        if (after === undefined || bySize(after, group) < 0) candidates.push(group);
      }
      candidates.sort(bySize);
      candidates.length = Math.min(candidates.length, limit);
    }
    const unseenMax = bound.reduce((sum, b) => sum + b, 0);
    const last = candidates.at(-1);
    if (candidates.length === limit && last!.count > unseenMax) return candidates;
    if (done.every(Boolean)) return unseenMax === 0 ? candidates : undefined;
    batch *= 4;
  }
}
