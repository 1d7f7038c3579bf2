import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { SOCKET_NAMESPACE, type SubscribeAck } from '#contracts';
import { dropDatabase, repoRoot } from '#db';
import { createKafka, ensureTopics } from '#kafka';
import {
  freshDatabase,
  newIngestionId,
  SAMPLE_CSV,
  startService,
  testEnv,
  upload,
  type RunningService,
} from '#testing';

const TOKEN = 'a-token-of-at-least-16-chars';

/** Runs the compiled CLI; resolves with its exit code and output whatever the code. */
async function trips(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(repoRoot(), 'bin', 'trips.js'), ...args],
      {
        env: { ...(process.env as Record<string, string>), ...env },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// With API_TOKEN set, uploads and the all-ingestions feed need it; one ingestion's feed stays open.
describe('API_TOKEN', () => {
  let gateway: RunningService;
  let notifier: RunningService;
  let databaseUrl: string;

  beforeAll(async () => {
    const env = {
      API_TOKEN: TOKEN,
      DATABASE_URL: (databaseUrl = await freshDatabase('apitoken')),
      KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? ''}apitoken.`,
    };
    await ensureTopics(createKafka(testEnv(env), 'apitoken'), testEnv(env));
    [gateway, notifier] = await Promise.all([startService('upload-gateway', env), startService('notifier', env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([gateway?.stop(), notifier?.stop()]);
    if (process.env.KEEP_TEST_DB !== '1') await dropDatabase(databaseUrl);
  });

  it('answers 401 unauthorized to an upload without the token or with another, 202 with it', async () => {
    const without = await fetch(`${gateway.url}/api/v1/ingestions`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'region,origin_coord,destination_coord,datetime,datasource\n',
    });
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect(await without.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const other = await upload(gateway.url, SAMPLE_CSV, {
      'content-type': 'text/csv',
      authorization: 'Bearer another-token-of-16-chars',
    });
    expect(other).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    const ok = await upload(gateway.url, SAMPLE_CSV, { 'content-type': 'text/csv', authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(202);
  });

  it('lets the CLI upload with --token or TRIPS_API_TOKEN, and exits 2 with the code without it', async () => {
    const base = ['upload', SAMPLE_CSV, '--gateway', gateway.url, '--no-follow'];
    const refused = await trips(base);
    expect(refused.code).toBe(2);
    expect(refused.stderr + refused.stdout).toContain('HTTP 401 unauthorized');
    expect((await trips([...base, '--token', TOKEN])).code).toBe(0);
    expect((await trips(base, { TRIPS_API_TOKEN: TOKEN })).code).toBe(0);
  }, 60_000);

  it('refuses the all-ingestions feed without the token, and keeps one ingestion’s feed open', async () => {
    const subscribe = async (request: object, auth?: { token: string }) => {
      const socket = io(`${notifier.url}${SOCKET_NAMESPACE}`, { transports: ['websocket'], ...(auth ? { auth } : {}) });
      try {
        return (await socket.timeout(10_000).emitWithAck('subscribe', request)) as SubscribeAck;
      } finally {
        socket.close();
      }
    };
    expect(await subscribe({ all: true })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await subscribe({ all: true }, { token: 'not-the-token-at-all' })).toMatchObject({ ok: false });
    expect(await subscribe({ all: true }, { token: TOKEN })).toMatchObject({ ok: true });
    expect(await subscribe({ ingestionId: newIngestionId() })).toMatchObject({ ok: true });
  });
});
