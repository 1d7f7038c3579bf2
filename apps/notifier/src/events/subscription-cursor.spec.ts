import type { SocketIngestionEvent } from '#contracts';
import { eventually } from '#testing';
import { CursorClosedError, SubscriptionCursor, type FetchEvents, type ReplayResult } from './subscription-cursor.js';

const ev = (seq: number): SocketIngestionEvent => ({
  seq,
  eventId: `upload.progress:i:${seq}`,
  ingestionId: 'i',
  type: 'upload.progress',
  layer: 'upload',
  occurredAt: '2024-01-01T00:00:00.000Z',
  data: { bytes: seq, rows: seq, chunks: seq },
});

/** An in-memory store whose reads can be held open, to interleave live events with a running query. */
function fakeStore(count: number, snapshot: 'before-wait' | 'after-wait' = 'after-wait') {
  const events = Array.from({ length: count }, (_, i) => ev(i + 1));
  const calls: [number, number | undefined][] = [];
  let gate: Promise<void> | undefined;
  let entered: () => void = () => undefined;
  let failNext = false;
  const fetch: FetchEvents = async (afterSeq, uptoSeq, limit) => {
    calls.push([afterSeq, uptoSeq]);
    const read = () =>
      events.filter((e) => e.seq > afterSeq && (uptoSeq === undefined || e.seq <= uptoSeq)).slice(0, limit);
    const early = read();
    entered();
    if (gate) await gate;
    if (failNext) {
      failNext = false;
      throw new Error('database unavailable');
    }
    return snapshot === 'before-wait' ? early : read();
  };
  return {
    events,
    calls,
    fetch,
    add: () => {
      const e = ev(events.length + 1);
      events.push(e);
      return e;
    },
    /** Holds the next reads open; `reading` resolves once one has started (taken its snapshot). */
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      const reading = new Promise<void>((r) => (entered = r));
      return {
        reading,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
    failOnce: () => (failNext = true),
  };
}

function recorder() {
  const log: (number | string)[] = [];
  const errors: unknown[] = [];
  return { log, errors, emit: (e: SocketIngestionEvent) => log.push(e.seq), onError: (e: unknown) => errors.push(e) };
}

describe('SubscriptionCursor', () => {
  it('replays stored events after the position in order, then acknowledges, then continues live', async () => {
    const store = fakeStore(3);
    const r = recorder();
    const cursor = new SubscriptionCursor(1, store.fetch, r.emit, r.onError);
    let result: ReplayResult | undefined;
    cursor.replay((res) => {
      result = res;
      r.log.push('ack');
    });
    await cursor.idle();
    cursor.offer(store.add());
    await cursor.idle();
    expect(r.log).toEqual([2, 3, 'ack', 4]);
    expect(result).toEqual({ replayed: 2, lastSeq: 3 });
    expect(cursor.position).toBe(4);
  });

  it.each([
    ['sees them', 'after-wait', [1, 2, 3, 4, 'ack', 5]],
    ['does not see them', 'before-wait', [1, 2, 'ack', 3, 4, 5]],
  ] as const)(
    'hands over from replay to live without gap or duplicate when events arrive during a replay query that %s',
    async (_, snapshot, expected) => {
      const store = fakeStore(2, snapshot);
      const r = recorder();
      const cursor = new SubscriptionCursor(0, store.fetch, r.emit, r.onError);
      const { reading, release } = store.hold();
      cursor.replay(() => r.log.push('ack'));
      await reading;
      // Stored and announced while the replay query is still open.
      const e3 = store.add();
      const e4 = store.add();
      cursor.offer(e3);
      cursor.offer(e4);
      release();
      await cursor.idle();
      cursor.offer(store.add());
      await cursor.idle();
      expect(r.log).toEqual(expected);
      expect(r.errors).toEqual([]);
    },
  );

  it('fills a gap from the store when a live event jumps ahead, and drops the late duplicates', async () => {
    const store = fakeStore(2);
    const r = recorder();
    const cursor = new SubscriptionCursor(0, store.fetch, r.emit, r.onError);
    cursor.replay(() => undefined);
    await cursor.idle();
    store.add();
    store.add();
    const e5 = store.add();
    cursor.offer(e5); // notifications of 3 and 4 were lost
    cursor.offer(store.events[2]);
    cursor.offer(store.events[3]);
    cursor.offer(store.add());
    await cursor.idle();
    expect(r.log).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.calls).toContainEqual([2, 5]);
  });

  it('emits nothing past a gap it could not fill, and fills it on the next event', async () => {
    const store = fakeStore(1);
    const r = recorder();
    const cursor = new SubscriptionCursor(1, store.fetch, r.emit, r.onError);
    store.add();
    const e3 = store.add();
    store.failOnce();
    cursor.offer(e3);
    await cursor.idle();
    expect(r.log).toEqual([]);
    expect(r.errors).toHaveLength(1);
    cursor.offer(store.add());
    await cursor.idle();
    expect(r.log).toEqual([2, 3, 4]);
  });

  it('reports a failed replay to the caller instead of acknowledging', async () => {
    const store = fakeStore(3);
    const r = recorder();
    const cursor = new SubscriptionCursor(0, store.fetch, r.emit, r.onError);
    store.failOnce();
    let result: ReplayResult | undefined;
    cursor.replay((res) => (result = res));
    await cursor.idle();
    expect(result).toEqual({ error: expect.objectContaining({ message: 'database unavailable' }) });
    expect(r.log).toEqual([]);
  });

  it('pages through a long history', async () => {
    const store = fakeStore(7);
    const r = recorder();
    const cursor = new SubscriptionCursor(0, store.fetch, r.emit, r.onError, 3);
    let result: ReplayResult | undefined;
    cursor.replay((res) => (result = res));
    await cursor.idle();
    expect(r.log).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(result).toEqual({ replayed: 7, lastSeq: 7 });
    expect(store.calls.map(([after]) => after)).toEqual([0, 3, 6]);
  });

  it('sync re-reads the store after the position (lost notifications with no later event)', async () => {
    const store = fakeStore(2);
    const r = recorder();
    const cursor = new SubscriptionCursor(2, store.fetch, r.emit, r.onError);
    store.add();
    cursor.sync();
    await cursor.idle();
    expect(r.log).toEqual([3]);
  });

  it('stops emitting once closed and answers a pending replay with CursorClosedError', async () => {
    const store = fakeStore(3);
    const r = recorder();
    const cursor = new SubscriptionCursor(0, store.fetch, r.emit, r.onError);
    const { release } = store.hold();
    let result: ReplayResult | undefined;
    cursor.replay((res) => (result = res));
    cursor.offer(store.add());
    cursor.close();
    release();
    await cursor.idle();
    expect(r.log).toEqual([]);
    expect(result).toEqual({ error: expect.any(CursorClosedError) });
  });

  it('reads the next replay page only once the client drained the last one (backpressure)', async () => {
    const store = fakeStore(25);
    const r = recorder();
    let release: () => void = () => undefined;
    let waits = 0;
    const drained = () => {
      waits++;
      return new Promise<void>((resolve) => (release = resolve));
    };
    const cursor = new SubscriptionCursor(0, store.fetch, r.emit, r.onError, 10, drained);
    const results: ReplayResult[] = [];
    cursor.replay((result) => results.push(result));
    // One page emitted, then it waits for the client: the wait has begun and nothing more was read.
    await eventually(() => waits === 1);
    expect(r.log).toHaveLength(10);
    expect(store.calls).toHaveLength(1);
    release();
    await eventually(() => waits === 2);
    expect(r.log).toHaveLength(20);
    expect(store.calls).toHaveLength(2);
    release();
    await cursor.idle();
    expect(r.log).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(waits).toBe(2);
    expect(results).toEqual([{ replayed: 25, lastSeq: 25 }]);
  });
});
