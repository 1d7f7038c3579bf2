import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { makeEvent, type IngestionEvent } from '#contracts';
import { testPool } from '#testing';
import { EventsRepository } from './events.repository.js';
import { decodeNotification, EVENTS_CHANNEL } from './stored-event.js';

const progress = (ingestionId: string, n: number): IngestionEvent =>
  makeEvent('upload.progress', ingestionId, { bytes: n * 100, rows: n, chunks: n }, n);

describe('EventsRepository (real PostgreSQL)', () => {
  // More connections than the test pool's default, so concurrent stores really contend.
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
  const repo = new EventsRepository(pool);

  afterAll(() => pool.end());

  it('numbers concurrent stores of one ingestion 1..N without gaps and stores each eventId once', async () => {
    const id = randomUUID();
    const events = Array.from({ length: 60 }, (_, i) => progress(id, i + 1));
    // Every event twice, all at once, as two instances would during a rebalance.
    const results = await Promise.all([...events, ...events].map((e) => repo.store(e)));
    const stored = results.filter((r) => r !== null);
    expect(stored).toHaveLength(60);
    expect(new Set(stored.map((s) => s.event.eventId)).size).toBe(60);
    const check = testPool();
    try {
      const { rows } = await check.query<{ seq: number }>(
        'SELECT seq FROM meta.events WHERE ingestion_id = $1 ORDER BY seq',
        [id],
      );
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    } finally {
      await check.end();
    }
  });

  it('keeps separate sequences per ingestion and reads them back in order, bounded', async () => {
    const a = randomUUID();
    const b = randomUUID();
    for (let n = 1; n <= 3; n++) {
      await repo.store(progress(a, n));
      await repo.store(progress(b, n));
    }
    expect((await repo.listAfter(a, 0, undefined, 10)).map((e) => [e.ingestionId, e.seq])).toEqual([
      [a, 1],
      [a, 2],
      [a, 3],
    ]);
    expect((await repo.listAfter(b, 1, 2, 10)).map((e) => e.seq)).toEqual([2]);
    expect((await repo.listAfter(b, 0, undefined, 2)).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('announces a stored event on commit, exactly as it reads back, and a duplicate not at all', async () => {
    const listener = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (m) => payloads.push(m.payload ?? ''));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
    try {
      const id = randomUUID();
      const accepted = makeEvent('ingestion.accepted', id, {
        fileName: 't.csv',
        contentType: 'text/csv',
        gzip: false,
        columns: [],
        ignoredColumns: [],
      });
      const first = await repo.store(accepted);
      expect(await repo.store(accepted)).toBeNull();
      const completed = await repo.store(
        makeEvent('upload.completed', id, { chunks: 1, rows: 1, bytes: 10, sha256: 'x' }),
      );
      // A round trip on the listening connection delivers everything notified before it.
      await listener.query('SELECT 1');
      const mine = payloads.map((p) => decodeNotification(p)).filter((n) => 'event' in n && n.event.ingestionId === id);
      expect(mine).toEqual([first, completed]);
      expect(await repo.listAfter(id, 0, undefined, 10)).toEqual([first?.event, completed?.event]);
    } finally {
      await listener.end();
    }
  });

  it('announces an event too large for a notification by reference', async () => {
    const id = randomUUID();
    const big = makeEvent('ingestion.failed', id, { stage: 'upload', code: 'x', message: 'm'.repeat(10_000) });
    const stored = await repo.store(big);
    expect(stored?.event.seq).toBe(1);
    expect(await repo.byGlobalSeq(stored!.globalSeq)).toEqual(stored);
  });

  it('deletes the events of ingestions idle past the retention, whole ingestions only', async () => {
    const idle = randomUUID();
    const recent = randomUUID();
    const mixed = randomUUID();
    for (let n = 1; n <= 3; n++) {
      await repo.store(progress(idle, n));
      await repo.store(progress(recent, n));
      await repo.store(progress(mixed, n));
    }
    const check = testPool();
    try {
      // idle: every event 40 days old; mixed: its first two old, its last one recent.
      await check.query("UPDATE meta.events SET stored_at = now() - interval '40 days' WHERE ingestion_id = $1", [
        idle,
      ]);
      await check.query(
        "UPDATE meta.events SET stored_at = now() - interval '40 days' WHERE ingestion_id = $1 AND seq < 3",
        [mixed],
      );
      expect(await repo.deleteExpired(30)).toBeGreaterThanOrEqual(3);
      const { rows } = await check.query<{ ingestion_id: string; n: string }>(
        'SELECT ingestion_id, count(*) AS n FROM meta.events WHERE ingestion_id = ANY ($1::uuid[]) GROUP BY 1',
        [[idle, recent, mixed]],
      );
      expect(Object.fromEntries(rows.map((r) => [r.ingestion_id, Number(r.n)]))).toEqual({ [recent]: 3, [mixed]: 3 });
    } finally {
      await check.end();
    }
  });
});
