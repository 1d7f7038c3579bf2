import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import {
  ALL_INGESTIONS_ROOM,
  ingestionRoom,
  makeEvent,
  SOCKET_NAMESPACE,
  type ClientToServerEvents,
  type IngestionEvent,
  type ServerToClientEvents,
  type SocketIngestionEvent,
  type SubscribeAck,
  type SubscribeRequest,
} from '#contracts';
import { dropDatabase, repoRoot } from '#db';
import { createKafka, ensureTopics, Publisher } from '#kafka';
import { eventually, freePort, freshDatabase, startService, testEnv, type RunningService } from '#testing';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A lifecycle as the pipeline publishes it, with `progress` progress events per layer. */
function lifecycle(id: string, progress = 1): IngestionEvent[] {
  const steps = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  return [
    makeEvent('ingestion.accepted', id, {
      fileName: 'trips.csv',
      contentType: 'text/csv',
      gzip: false,
      columns: ['region'],
      ignoredColumns: [],
    }),
    ...steps(progress).map((n) => makeEvent('upload.progress', id, { bytes: n * 1000, rows: n * 10, chunks: n }, n)),
    makeEvent('upload.completed', id, {
      chunks: progress,
      rows: progress * 10,
      bytes: progress * 1000,
      sha256: 'ab'.repeat(32),
    }),
    ...steps(progress).map((n) =>
      makeEvent(
        'bronze.progress',
        id,
        { chunksLoaded: n, rowsLoaded: n * 10, totalChunks: progress, totalRows: null },
        n,
      ),
    ),
    makeEvent('bronze.completed', id, { chunks: progress, rows: progress * 10 }),
    makeEvent('silver.completed', id, { validRows: progress * 10, rejectedRows: 0 }),
    makeEvent('gold.completed', id, { trips: progress * 10 }),
    makeEvent('ingestion.completed', id, {
      rows: progress * 10,
      validRows: progress * 10,
      rejectedRows: 0,
      durationMs: 1234,
    }),
  ];
}

/** What a client should end up with: the published events, numbered 1..N in publish order. */
const expectedFeed = (events: IngestionEvent[]) =>
  events.map((e, i) => ({
    seq: i + 1,
    eventId: e.eventId,
    ingestionId: e.ingestionId,
    type: e.type,
    layer: e.layer,
    data: e.data,
  }));

const comparable = (events: SocketIngestionEvent[]) =>
  events.map(({ seq, eventId, ingestionId, type, layer, data }) => ({ seq, eventId, ingestionId, type, layer, data }));

/** A socket.io client that records every event it receives. */
class TestClient {
  readonly socket: ClientSocket;
  readonly received: SocketIngestionEvent[] = [];

  constructor(url: string, options: { autoConnect?: boolean } = {}) {
    this.socket = io(`${url}${SOCKET_NAMESPACE}`, {
      transports: ['websocket'],
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      autoConnect: options.autoConnect ?? true,
    });
    this.socket.on('ingestion.event', (event) => this.received.push(event));
  }

  of(ingestionId: string): SocketIngestionEvent[] {
    return this.received.filter((e) => e.ingestionId === ingestionId);
  }

  subscribe(request: unknown): Promise<SubscribeAck> {
    return this.socket.timeout(10_000).emitWithAck('subscribe', request as SubscribeRequest);
  }

  unsubscribe(request: unknown): Promise<SubscribeAck> {
    return this.socket.timeout(10_000).emitWithAck('unsubscribe', request as SubscribeRequest);
  }

  /** Resolves with the events of one ingestion once `count` have arrived. */
  waitFor(ingestionId: string, count: number): Promise<SocketIngestionEvent[]> {
    return eventually(() => this.of(ingestionId), {
      accept: (l) => l.length >= count,
      what: `${count} events of ${ingestionId}`,
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}

/**
 * A client as a dashboard would write it: on every (re)connection it subscribes again from the last
 * seq it has, so the server replays exactly what it missed.
 */
class ResumingClient extends TestClient {
  readonly acks: SubscribeAck[] = [];

  constructor(url: string, ingestionId: string) {
    super(url, { autoConnect: false });
    this.socket.on('connect', () => {
      const afterSeq = this.of(ingestionId).at(-1)?.seq ?? 0;
      this.socket.emit('subscribe', { ingestionId, afterSeq }, (ack) => this.acks.push(ack));
    });
    this.socket.connect();
  }
}

describe('notifier: Kafka → meta.events → socket.io (real Kafka + PostgreSQL)', () => {
  const prefix = `${process.env.KAFKA_TOPIC_PREFIX ?? ''}nt.`;
  let databaseUrl: string;
  let serviceEnv: Record<string, string>;
  let publisher: Publisher;
  let pool: pg.Pool;
  let notifier: RunningService;
  const clients: TestClient[] = [];
  const client = (url: string = notifier.url) => {
    const c = new TestClient(url);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    // A database of its own: the LISTEN test below terminates connections by application name.
    databaseUrl = await freshDatabase('notifier');
    serviceEnv = { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, CORS_ORIGINS: 'http://dashboard.example' };
    const env = testEnv(serviceEnv);
    const kafka = createKafka(env, 'notifier-test');
    await ensureTopics(kafka, env);
    publisher = new Publisher(kafka, env);
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    notifier = await startService('notifier', serviceEnv);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await notifier?.stop();
    await publisher?.disconnect();
    await pool?.end();
    if (databaseUrl) await dropDatabase(databaseUrl);
  });

  it('delivers a lifecycle to a client subscribed before it, once each, in order, numbered 1..N — a duplicate eventId included', async () => {
    const id = randomUUID();
    const events = lifecycle(id, 2);
    const c = client();
    expect(await c.subscribe({ ingestionId: id })).toEqual({
      ok: true,
      room: ingestionRoom(id),
      replayed: 0,
      lastSeq: 0,
    });

    // Redelivered mid-stream with the same eventId (a producer retry): stored and forwarded once.
    const duplicate = { ...events[2], occurredAt: new Date(Date.now() + 60_000).toISOString() };
    await publisher.publishEvents(events.slice(0, 4));
    await publisher.publishEvents([duplicate, ...events.slice(4)]);

    const got = await c.waitFor(id, events.length);
    // The last event arriving proves the duplicate (published before it, same partition) was dropped.
    expect(comparable(got)).toEqual(expectedFeed(events));
    expect(got[2].occurredAt).toBe(events[2].occurredAt);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM meta.events WHERE ingestion_id = $1', [
      id,
    ]);
    expect(Number(rows[0].n)).toBe(events.length);
  });

  it('replays the full history to a client that subscribes after completion, then serves it over REST', async () => {
    const id = randomUUID();
    const events = lifecycle(id, 3);
    const watcher = client();
    await watcher.subscribe({ ingestionId: id });
    await publisher.publishEvents(events);
    const live = await watcher.waitFor(id, events.length);

    const late = client();
    const ack = await late.subscribe({ ingestionId: id });
    expect(ack).toEqual({ ok: true, room: ingestionRoom(id), replayed: events.length, lastSeq: events.length });
    // The replayed events precede the acknowledgement: they are all here already.
    expect(late.of(id)).toEqual(live);

    const resumed = client();
    expect(await resumed.subscribe({ ingestionId: id, afterSeq: 5 })).toMatchObject({
      ok: true,
      replayed: events.length - 5,
    });
    expect(resumed.of(id)).toEqual(live.slice(5));

    const page = await fetch(`${notifier.url}/api/v1/ingestions/${id}/events?afterSeq=2&limit=3`);
    expect(page.status).toBe(200);
    expect(await page.json()).toEqual({ ingestionId: id, events: live.slice(2, 5), lastSeq: 5, hasMore: true });
    const rest = (await (await fetch(`${notifier.url}/api/v1/ingestions/${id}/events?afterSeq=5`)).json()) as {
      events: unknown[];
      hasMore: boolean;
    };
    expect(rest).toMatchObject({ events: live.slice(5), hasMore: false });
    const bad = await fetch(`${notifier.url}/api/v1/ingestions/not-a-uuid/events`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_ingestion_id' } });
    const badSeq = await fetch(`${notifier.url}/api/v1/ingestions/${id}/events?afterSeq=-1`);
    expect(await badSeq.json()).toMatchObject({ statusCode: 400, error: { code: 'invalid_after_seq' } });
  });

  it.each([
    ['whose transport is force-closed (automatic reconnect)', (c: TestClient) => c.socket.io.engine.close()],
    ['that disconnects and connects again', (c: TestClient) => (c.socket.disconnect(), c.socket.connect())],
  ])(
    'a client %s mid-stream and resubscribes from its last seq ends with the same list as an uninterrupted one',
    async (_, interrupt) => {
      const id = randomUUID();
      const events = lifecycle(id, 15);
      const steady = client();
      await steady.subscribe({ ingestionId: id });
      const resuming = new ResumingClient(notifier.url, id);
      clients.push(resuming);
      await eventually(() => resuming.acks.length === 1, { what: 'first subscription' });

      const half = Math.floor(events.length / 2);
      await publisher.publishEvents(events.slice(0, half));
      await resuming.waitFor(id, 3);
      interrupt(resuming);
      await publisher.publishEvents(events.slice(half));

      const expected = await steady.waitFor(id, events.length);
      const got = await resuming.waitFor(id, events.length);
      expect(resuming.acks.length).toBeGreaterThanOrEqual(2);
      expect(resuming.acks.every((a) => a.ok)).toBe(true);
      expect(got).toEqual(expected);
      expect(comparable(got)).toEqual(expectedFeed(events));
    },
  );

  it('answers invalid subscribe and unsubscribe payloads with an error ack, and keeps serving the socket', async () => {
    const c = client();
    const cases: [unknown, string][] = [
      [null, 'invalid_request'],
      ['ingestion-1', 'invalid_request'],
      [{ all: false }, 'invalid_request'],
      [{ all: true, afterSeq: 3 }, 'invalid_request'],
      [{}, 'invalid_ingestion_id'],
      [{ ingestionId: 'not-a-uuid' }, 'invalid_ingestion_id'],
      [{ ingestionId: randomUUID(), afterSeq: -1 }, 'invalid_after_seq'],
      [{ ingestionId: randomUUID(), afterSeq: 'x' }, 'invalid_after_seq'],
    ];
    for (const [payload, code] of cases) {
      expect(await c.subscribe(payload)).toEqual({ ok: false, error: { code, message: expect.any(String) } });
    }
    expect(await c.unsubscribe({ ingestionId: 42 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_ingestion_id' },
    });
    // No acknowledgement callback at all: nothing to answer, nothing may break.
    (c.socket as unknown as { emit(event: string, body: unknown): void }).emit('subscribe', 'garbage');

    const id = randomUUID();
    expect(await c.subscribe({ ingestionId: id })).toMatchObject({ ok: true });
    const events = lifecycle(id).slice(0, 2);
    await publisher.publishEvents(events);
    expect(comparable(await c.waitFor(id, 2))).toEqual(expectedFeed(events));
    expect(c.socket.connected).toBe(true);
  });

  it('{ all: true } receives the events of every ingestion; a socket also following one of them gets each event once', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const all = client();
    expect(await all.subscribe({ all: true })).toEqual({
      ok: true,
      room: ALL_INGESTIONS_ROOM,
      replayed: 0,
      lastSeq: 0,
    });
    const both = client();
    await both.subscribe({ all: true });
    await both.subscribe({ ingestionId: a });
    const [ea, eb] = [lifecycle(a), lifecycle(b)];
    await publisher.publishEvents(ea);
    await publisher.publishEvents(eb);

    expect(comparable(await all.waitFor(a, ea.length))).toEqual(expectedFeed(ea));
    expect(comparable(await all.waitFor(b, eb.length))).toEqual(expectedFeed(eb));
    await both.waitFor(b, eb.length);
    await both.waitFor(a, ea.length);
    expect(comparable(both.of(a))).toEqual(expectedFeed(ea));
    expect(comparable(both.of(b))).toEqual(expectedFeed(eb));
  });

  it('stops delivering an ingestion after unsubscribe', async () => {
    const [gone, kept] = [randomUUID(), randomUUID()];
    const c = client();
    await c.subscribe({ ingestionId: gone });
    await c.subscribe({ ingestionId: kept });
    const [eg, ek] = [lifecycle(gone), lifecycle(kept)];
    await publisher.publishEvents(eg.slice(0, 2));
    await c.waitFor(gone, 2);
    expect(await c.unsubscribe({ ingestionId: gone })).toEqual({
      ok: true,
      room: ingestionRoom(gone),
      replayed: 0,
      lastSeq: 2,
    });
    await publisher.publishEvents(eg.slice(2));
    // Notifications arrive in commit order: once `kept` (stored after all of `gone`) is here, any
    // leftover event of `gone` would have arrived before it.
    await eventually(
      async () =>
        Number((await pool.query('SELECT count(*) AS n FROM meta.events WHERE ingestion_id = $1', [gone])).rows[0].n),
      {
        accept: (n) => n === eg.length,
        what: 'all events of the unsubscribed ingestion stored',
      },
    );
    await publisher.publishEvents(ek);
    await c.waitFor(kept, ek.length);
    expect(c.of(gone)).toHaveLength(2);
  });

  it('keeps delivering, without gap or duplicate, after its LISTEN connection to PostgreSQL is killed', async () => {
    const id = randomUUID();
    const events = lifecycle(id, 4);
    const c = client();
    await c.subscribe({ ingestionId: id });
    await publisher.publishEvents(events.slice(0, 4));
    await c.waitFor(id, 4);
    const { rowCount } = await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'trips-notifier-listen'`,
    );
    expect(rowCount).toBe(1);
    await publisher.publishEvents(events.slice(4));
    expect(comparable(await c.waitFor(id, events.length))).toEqual(expectedFeed(events));
  });

  it('answers the socket.io handshake with the configured CORS origin, and not another', async () => {
    const res = await fetch(`${notifier.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { Origin: 'http://dashboard.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://dashboard.example');
    const evil = await fetch(`${notifier.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { Origin: 'http://evil.example' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses connections beyond NOTIFIER_MAX_SOCKETS at the handshake', async () => {
    const capped = await startService('notifier', { ...serviceEnv, NOTIFIER_MAX_SOCKETS: '2' });
    const sockets = [0, 1, 2].map(() =>
      io(`${capped.url}${SOCKET_NAMESPACE}`, { transports: ['websocket'], reconnection: false, autoConnect: false }),
    );
    try {
      const outcome = (socket: (typeof sockets)[number]) =>
        new Promise<string>((resolve) => {
          socket.once('connect', () => resolve('connected'));
          socket.once('connect_error', (error) => resolve(error.message));
          socket.connect();
        });
      // One after the other, so the third is the one over the cap.
      const results: string[] = [];
      for (const socket of sockets) results.push(await outcome(socket));
      expect(results).toEqual(['connected', 'connected', 'too_many_connections']);
    } finally {
      for (const socket of sockets) socket.close();
      await capped.stop();
    }
  });

  describe('two instances side by side', () => {
    let second: RunningService;

    beforeAll(async () => {
      second = await startService('notifier', serviceEnv);
    });

    afterAll(async () => {
      await second?.stop();
    });

    it('a client on each instance receives every event exactly once, in order', async () => {
      const id = randomUUID();
      const events = lifecycle(id, 3);
      const [onFirst, onSecond] = [client(notifier.url), client(second.url)];
      await onFirst.subscribe({ ingestionId: id });
      await onSecond.subscribe({ ingestionId: id });
      const [allFirst, allSecond] = [client(notifier.url), client(second.url)];
      await allFirst.subscribe({ all: true });
      await allSecond.subscribe({ all: true });
      await publisher.publishEvents(events);

      for (const c of [onFirst, onSecond, allFirst, allSecond]) {
        expect(comparable(await c.waitFor(id, events.length))).toEqual(expectedFeed(events));
      }
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM meta.events WHERE ingestion_id = $1',
        [id],
      );
      expect(Number(rows[0].n)).toBe(events.length);
    });

    it('when one instance shuts down gracefully, the other takes over its partitions', async () => {
      const id = randomUUID();
      const events = lifecycle(id, 2);
      const c = client(notifier.url);
      await c.subscribe({ ingestionId: id });
      await second.stop();
      await publisher.publishEvents(events);
      expect(comparable(await c.waitFor(id, events.length))).toEqual(expectedFeed(events));
    });
  });
});

describe('notifier boot without its dependencies', () => {
  it('answers /health with 503 while PostgreSQL and Kafka are unreachable, and shuts down on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps/notifier/src/main.js')], {
      env: {
        ...process.env,
        HTTP_HOST: '127.0.0.1',
        NOTIFIER_PORT: String(port),
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/trips_test_nowhere',
        KAFKA_BROKERS: '127.0.0.1:1',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const status = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status, {
        what: 'notifier /health answering',
      });
      expect(status).toBe(503);
      child.kill('SIGTERM');
      await expect(exited).resolves.toBeDefined();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
