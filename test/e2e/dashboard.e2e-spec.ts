import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '#db';
import { eventually, startPipeline, startService, type Pipeline, type RunningService, SAMPLE_CSV } from '#testing';

const SAMPLE = SAMPLE_CSV;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('dashboard (headless Chromium) against the real pipeline', () => {
  let pipeline: Pipeline;
  let queryApi: RunningService;
  let notifier: RunningService;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    // The page's origin (the notifier's port) is known only once it runs: let every origin call the APIs.
    pipeline = await startPipeline('dashboard', { CORS_ORIGINS: '*' });
    queryApi = await startService('query-api', pipeline.env);
    notifier = await startService('notifier', {
      ...pipeline.env,
      QUERY_API_PUBLIC_URL: queryApi.url,
      UPLOAD_GATEWAY_PUBLIC_URL: pipeline.gateway.url,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([notifier?.stop(), queryApi?.stop()]);
    await pipeline?.stop();
  });

  it('serves the config the page needs: the query-api and upload URLs', async () => {
    const res = await fetch(`${notifier.url}/config.json`);
    expect(await res.json()).toEqual({
      queryApiUrl: queryApi.url,
      uploadUrl: `${pipeline.gateway.url}/api/v1/ingestions`,
      tokenRequired: false,
    });
  });

  it('uploads the sample through the form, shows it completed with 100 rows, then charts an area', async () => {
    await page.goto(notifier.url);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('#ingestions-empty').isVisible()).resolves.toBe(true);

    await page.getByLabel(/Trips file/).setInputFiles(SAMPLE);
    await page.getByRole('button', { name: 'Upload' }).click();
    const card = page.locator('li.ingestion', { hasText: 'trips.csv' });
    await card.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 90_000 });
    await expect(card.locator('.ingestion-rows').textContent()).resolves.toBe('100 rows');
    await expect(card.locator('.summary').textContent()).resolves.toMatch(/^100 rows · 100 valid · 0 rejected · /);
    // Every layer bar is full.
    await expect(
      card.getByRole('progressbar').evaluateAll((bars) => bars.map((b) => b.getAttribute('aria-valuenow'))),
    ).resolves.toEqual(['100', '100', '100', '100']);
    const id = await card.getAttribute('data-ingestion-id');
    const { rows } = await pipeline.pool.query(
      'SELECT state, silver_rows FROM meta.ingestions WHERE ingestion_id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ state: 'completed', silver_rows: '100' });

    // The completed ingestion refreshes the area panel: the largest region is picked, its cells drawn and charted.
    const region = page.getByRole('combobox', { name: 'Region name' });
    await page.locator('#area-stats dd').first().waitFor({ timeout: 30_000 });
    const regionName = await region.inputValue();
    const { rows: expected } = await pipeline.pool.query(
      `SELECT count(*)::int AS trips FROM silver.trips t JOIN silver.regions r USING (region_id) WHERE r.name = $1`,
      [regionName],
    );
    const totalTrips = page.locator('#area-stats div', { hasText: 'Total trips' }).locator('dd');
    await expect(totalTrips.textContent()).resolves.toBe(expected[0].trips.toLocaleString('en-US'));
    expect(await page.locator('#map rect.cell').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart rect.bar-rect').count()).toBeGreaterThan(0);

    // Dragging on the map selects a box: the page switches to bbox mode and charts what the API answers for it.
    const box = await page.locator('#map').boundingBox();
    if (!box) throw new Error('map not laid out');
    const bboxAnswer = page.waitForResponse((r) => r.url().includes('/api/v1/trips/weekly-average?bbox='));
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.85, { steps: 4 });
    await page.mouse.up();
    await expect(page.getByLabel(/^Box/).inputValue()).resolves.toMatch(/^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$/);
    await expect(page.getByRole('radio', { name: 'Bounding box' }).isChecked()).resolves.toBe(true);
    await page.locator('#map rect.selection[visibility="visible"]').waitFor();
    const answer = await bboxAnswer;
    expect(answer.status()).toBe(200);
    const weekly = (await answer.json()) as { totalTrips: number; filter: { bbox: number[] } };
    expect(weekly.filter.bbox).toHaveLength(4);
    await eventually(async () => (await totalTrips.textContent()) === weekly.totalTrips.toLocaleString('en-US'), {
      what: 'the box total on the page',
    });

    const shot = join(repoRoot(), 'test-output', 'dashboard.png');
    mkdirSync(join(repoRoot(), 'test-output'), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    // The README's screenshot is refreshed on request only, so a test run leaves the work tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(shot, join(repoRoot(), 'docs', 'dashboard.png'));
    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
