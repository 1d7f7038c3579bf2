import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
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
      // The dashboard's origin (the notifier's port) is known only once it runs.
      CORS_ORIGINS: '*',
    };
    await ensureTopics(createKafka(testEnv(env), 'apitoken'), testEnv(env));
    gateway = await startService('upload-gateway', env);
    notifier = await startService('notifier', { ...env, UPLOAD_GATEWAY_PUBLIC_URL: gateway.url });
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
  it('the dashboard asks for the token, says when it is refused, then uploads and follows the feed with it', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(notifier.url);
      const reason = page.locator('#token-reason');
      await reason.filter({ hasText: 'requires an API token' }).waitFor({ timeout: 30_000 });
      // A wrong token: the all-ingestions feed refuses it, and the page asks again.
      await page.getByLabel('API token').fill('not-the-token-at-all');
      await page.getByRole('button', { name: 'Use token' }).click();
      await reason.filter({ hasText: 'refused this token' }).waitFor({ timeout: 30_000 });
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
      await page.getByLabel(/Trips file/).setInputFiles(SAMPLE_CSV);
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.locator('#upload-status').filter({ hasText: 'in Kafka' }).waitFor({ timeout: 60_000 });
      // Accepted over the all-ingestions feed, which the token opened: the card is there.
      await page.locator('li.ingestion', { hasText: 'trips.csv' }).first().waitFor({ timeout: 30_000 });
      await expect(page.locator('#token-form').isHidden()).resolves.toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
