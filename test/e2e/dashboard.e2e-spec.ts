import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '#db';
import { eventually, startPipeline, startService, type Pipeline, type RunningService, SAMPLE_CSV } from '#testing';

const SAMPLE = SAMPLE_CSV;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A non-ASCII name: it travels percent-encoded in X-File-Name and must come back as it was. */
const BAD_NAME = 'rejects — ü.csv';

type Box = { x0: number; y0: number; x1: number; y1: number };
const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

describe('dashboard (headless Chromium) against the real pipeline', () => {
  let pipeline: Pipeline;
  let queryApi: RunningService;
  let notifier: RunningService;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  /** The box the first drag on the map selected (zoom 1). */
  let firstBox: number[] = [];
  /** The upload with rejected rows, retracted at the end. */
  let badId = '';

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
    firstBox = (await page.getByLabel(/^Box/).inputValue()).split(',').map(Number);
    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it('draws country borders and coastlines under the cells: the cells of the sample lie on land', async () => {
    const land = page.locator('#map path.land');
    const centres = await page.locator('#map rect.cell').evaluateAll((cells) =>
      cells.map((c: any) => {
        const b = c.getBBox();
        return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      }),
    );
    const outlines = {
      landPoints: ((await land.getAttribute('d')) ?? '').split('L').length,
      borderPoints: ((await page.locator('#map path.border').getAttribute('d')) ?? '').split('L').length,
      cells: centres.length,
      // Cells and outlines share the map's coordinates (both move with the zoom).
      onLand: await land.evaluate((l: any, points) => points.filter((p) => l.isPointInFill(p)).length, centres),
    };
    expect(outlines.landPoints).toBeGreaterThan(100);
    expect(outlines.borderPoints).toBeGreaterThan(100);
    // Trips start in cities: nearly every origin cell must fall inside the projected land.
    expect(outlines.cells).toBeGreaterThan(0);
    expect(outlines.onLand / outlines.cells).toBeGreaterThan(0.9);
    // The outlines are the vendored Natural Earth data, served by the notifier itself.
    const world = await fetch(`${notifier.url}/vendor/world-atlas/countries-50m.json`);
    expect(world.status).toBe(200);
    expect(((await world.json()) as { type: string }).type).toBe('Topology');
  });

  it('zooms with the wheel about the pointer, pans, resets; a box drawn while zoomed is in map degrees', async () => {
    const map = page.locator('#map');
    const box = await map.boundingBox();
    if (!box) throw new Error('map not laid out');
    const cell = page.locator('#map rect.cell').first();
    const before = await cell.boundingBox();
    /** Screen centre of every cell. */
    const cellsOnScreen = () =>
      page.locator('#map rect.cell').evaluateAll((cs) =>
        cs.map((c: any) => {
          const r = c.getBoundingClientRect();
          return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        }),
      );
    const beforeCells = await cellsOnScreen();
    const lonSpan = () =>
      page.$$eval('#map text.axis-x', (ts) => {
        const values = ts.map((t) => parseFloat(t.textContent ?? ''));
        return { span: Math.max(...values) - Math.min(...values), count: values.length };
      });
    const spanBefore = await lonSpan();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await eventually(async () => Number(await map.getAttribute('data-zoom')) > 1.5, { what: 'zoomed in' });
    const zoom = Number(await map.getAttribute('data-zoom'));
    const after = await cellsOnScreen();
    // The point under the pointer stays put: every cell's distance from it grows by the zoom (the
    // farthest cells measured, so pixel rounding hardly counts); the degrees on the x axis narrow.
    const mx = box.x + box.width / 2;
    const my = box.y + box.height / 2;
    const far = (cs: { x: number; y: number }[], axis: 'x' | 'y', m: number) =>
      cs.reduce((a, c, i) => (Math.abs(c[axis] - m) > Math.abs(cs[a][axis] - m) ? i : a), 0);
    const fx = far(beforeCells, 'x', mx);
    const fy = far(beforeCells, 'y', my);
    expect((after[fx].x - mx) / (beforeCells[fx].x - mx)).toBeCloseTo(zoom, 1);
    expect((after[fy].y - my) / (beforeCells[fy].y - my)).toBeCloseTo(zoom, 1);
    expect((await lonSpan()).span).toBeLessThan(spanBefore.span);
    await expectNoOverlappingAxisLabels();

    // The same drag as before, now zoomed in about the centre: a box zoom times narrower, on the same centre.
    await dragOnMap(0.2, 0.15, 0.8, 0.85);
    const zoomedBox = await eventually(
      async () => (await page.getByLabel(/^Box/).inputValue()).split(',').map(Number),
      { accept: (b) => b.join() !== firstBox.join(), what: 'a new box' },
    );
    expect((zoomedBox[2] - zoomedBox[0]) / (firstBox[2] - firstBox[0])).toBeCloseTo(1 / zoom, 1);
    expect((zoomedBox[0] + zoomedBox[2]) / 2).toBeCloseTo((firstBox[0] + firstBox[2]) / 2, 2);

    // Pan mode: a drag moves the map (and the cells) by the same screen distance.
    await page.getByRole('radio', { name: 'Pan' }).check();
    const beforePan = (await cell.boundingBox())!;
    await dragOnMap(0.5, 0.5, 0.6, 0.6);
    const afterPan = (await cell.boundingBox())!;
    expect(afterPan.x - beforePan.x).toBeCloseTo(box.width * 0.1, 0);
    expect(afterPan.y - beforePan.y).toBeCloseTo(box.height * 0.1, 0);
    await expect(page.getByLabel(/^Box/).inputValue()).resolves.toBe(zoomedBox.join(','));
    await page.getByRole('radio', { name: 'Draw box' }).check();

    // Zoomed far out the axis shows much more of the world, its labels still apart; Reset restores the first view.
    for (let i = 0; i < 6; i++) await page.getByRole('button', { name: 'Zoom out' }).click();
    await expect(map.getAttribute('data-zoom')).resolves.toBe(String(1 / 8));
    expect((await lonSpan()).span).toBeGreaterThan(spanBefore.span * 4);
    await expectNoOverlappingAxisLabels();
    await page.getByRole('button', { name: 'Reset view' }).click();
    await expect(map.getAttribute('data-zoom')).resolves.toBe('1');
    const reset = (await cell.boundingBox())!;
    expect(reset.x).toBeCloseTo(before!.x, 0);
    expect(reset.width).toBeCloseTo(before!.width, 1);
    await expectNoOverlappingAxisLabels();
  });

  it('suggests region names from the known regions as the user types, and charts the one chosen', async () => {
    await page.getByRole('radio', { name: 'Region' }).check();
    const region = page.getByRole('combobox', { name: 'Region name' });
    const options = () => page.$$eval('#regions option', (os) => os.map((o: any) => o.value as string));
    const known = async (prefix: string) =>
      (
        await pipeline.pool.query(
          `SELECT name FROM silver.regions WHERE name_key LIKE $1 || '%' ORDER BY name_key COLLATE "C"`,
          [prefix],
        )
      ).rows.map((r) => r.name as string);
    for (const typed of ['h', 'PR', 't', '']) {
      await region.fill(typed);
      const expected = await known(typed.toLowerCase());
      expect(expected.length).toBeGreaterThan(0);
      await eventually(options, { accept: (o) => o.join() === expected.join(), what: `suggestions for "${typed}"` });
    }
    await expect(options()).resolves.toEqual(['Hamburg', 'Prague', 'Turin']);
    await region.fill('Prague');
    await region.dispatchEvent('change');
    await eventually(async () => (await totalTrips()) === (await tripsIn('Prague')), { what: 'Prague charted' });
  });

  it('keeps the average label of the weekly chart clear of the bars, for every region', async () => {
    const region = page.getByRole('combobox', { name: 'Region name' });
    for (const name of ['Hamburg', 'Prague', 'Turin']) {
      const answer = page.waitForResponse((r) => r.url().includes(`weekly-average?region=${name}`));
      await region.fill(name);
      await region.dispatchEvent('change');
      const weekly = await (await answer).json();
      await eventually(() => page.locator('#chart .avg-label').textContent(), {
        accept: (t) => t === `avg ${weekly.weeklyAverage.toLocaleString('en-US', { maximumFractionDigits: 2 })}/week`,
        what: `${name}'s chart`,
      });
      const box = (e: any) => {
        const b = e.getBBox();
        return { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
      };
      const label: Box = await page.locator('#chart .avg-label').evaluate(box);
      const bars: Box[] = await page.locator('#chart rect.bar-rect').evaluateAll((rs) =>
        rs.map((r: any) => {
          const b = r.getBBox();
          return { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
        }),
      );
      const svgWidth = 600;
      expect(bars.length).toBe(weekly.series.length);
      for (const bar of bars) expect(overlaps(label, bar)).toBe(false);
      expect(label.x0).toBeGreaterThanOrEqual(0);
      expect(label.x1).toBeLessThanOrEqual(svgWidth);
    }
  });

  it('lists the rejected rows of an upload: line, reason, raw values, a page at a time', async () => {
    // 40 rows: every fourth one valid (10 Prague trips), the others rejected for four reasons.
    const lines = ['region,origin_coord,destination_coord,datetime,datasource'];
    for (let i = 0; i < 40; i++) {
      const minute = String(i).padStart(2, '0');
      const row = [
        `Prague,POINT (14.45 50.07),POINT (14.43 50.04),2018-05-16 08:${minute}:00,dash_test`,
        `Prague,POINT (14.4${i} abc),POINT (14.43 50.04),2018-05-16 08:${minute}:00,dash_test`,
        `Prague,POINT (14.45 50.07),POINT (14.43 50.04),2018-02-30 08:${minute}:00,dash_test`,
        `,POINT (14.45 50.07),POINT (14.43 50.04),2018-05-16 08:${minute}:00,dash_test`,
      ][i % 4];
      // Every eighth row is cut short: rejected for its field count, shown as the whole raw record.
      lines.push(i % 8 === 7 ? `Prague,POINT (14.45 50.07),2018-05-16 08:${minute}:00` : row);
    }
    await page.getByLabel(/Trips file/).setInputFiles({
      name: BAD_NAME,
      mimeType: 'text/csv',
      buffer: Buffer.from(`${lines.join('\n')}\n`),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    const card = page.locator('li.ingestion', { hasText: BAD_NAME });
    await card.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 90_000 });
    await expect(card.locator('.summary').textContent()).resolves.toMatch(/^40 rows · 10 valid · 30 rejected · /);
    badId = (await card.getAttribute('data-ingestion-id'))!;

    const all: any = await (await fetch(`${queryApi.url}/api/v1/ingestions/${badId}/rejections?limit=1000`)).json();
    expect(all.items).toHaveLength(30);
    const rowsOf = (items: any[]) =>
      items.map((r) =>
        r.rawRecord === null
          ? [
              r.line.toLocaleString('en-US'),
              r.reasonText,
              r.values.region ?? '',
              r.values.originCoord ?? '',
              r.values.destinationCoord ?? '',
              r.values.datetime ?? '',
              r.values.datasource ?? '',
            ]
          : [r.line.toLocaleString('en-US'), r.reasonText, r.rawRecord],
      );
    const shown = () =>
      page.$$eval('#rejections tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const panel = page.locator('#rejections');
    await expect(panel.isVisible()).resolves.toBe(false);
    await card.getByRole('button', { name: 'Rejected rows (30)' }).click();
    await eventually(shown, { accept: (r) => r.length === 20, what: 'the first page of rejections' });
    await expect(shown()).resolves.toEqual(rowsOf(all.items.slice(0, 20)));
    await expect(panel.locator('#rejections-of').textContent()).resolves.toContain(BAD_NAME);
    // Lines 2, 6, 10 … are valid: the first rejected line is 3, for a bad origin.
    expect(all.items[0]).toMatchObject({ line: 3, reason: 'bad_origin' });
    expect(new Set(all.items.map((r: any) => r.reason))).toEqual(
      new Set(['bad_origin', 'invalid_datetime', 'missing_region', 'field_count']),
    );
    await expect(panel.getByRole('button', { name: 'Previous' }).isDisabled()).resolves.toBe(true);
    await panel.getByRole('button', { name: 'Next' }).click();
    await eventually(shown, { accept: (r) => r.length === 10, what: 'the second page' });
    await expect(shown()).resolves.toEqual(rowsOf(all.items.slice(20)));
    await expect(panel.getByRole('button', { name: 'Next' }).isDisabled()).resolves.toBe(true);
    await panel.getByRole('button', { name: 'Previous' }).click();
    await eventually(shown, { accept: (r) => r.length === 20, what: 'the first page again' });
    await expect(shown()).resolves.toEqual(rowsOf(all.items.slice(0, 20)));
  });

  it('shows each ingestion with the file name the API gives, after a reload too', async () => {
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
    const names = await page.$$eval('li.ingestion .ingestion-name', (ns) => ns.map((n) => n.textContent));
    // The name went to the gateway in X-File-Name (percent-encoded) and came back from the query-api.
    expect(names).toEqual([BAD_NAME, 'trips.csv']);
    const api: any = await (await fetch(`${queryApi.url}/api/v1/ingestions/${badId}`)).json();
    expect(api.fileName).toBe(BAD_NAME);
  });

  it('retracts an ingestion once confirmed: it ends retracted and its trips leave the answers', async () => {
    const card = page.locator(`li.ingestion[data-ingestion-id="${badId}"]`);
    const region = page.getByRole('combobox', { name: 'Region name' });
    await page.getByRole('radio', { name: 'Region' }).check();
    await region.fill('Prague');
    await region.dispatchEvent('change');
    const prague = await tripsIn('Prague');
    await eventually(totalTrips, { accept: (t) => t === prague, what: 'Prague with the 10 new trips' });
    const deletes: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'DELETE') deletes.push(r.url());
    });

    // Dismissed: nothing is sent.
    page.once('dialog', (d) => void d.dismiss());
    await card.getByRole('button', { name: 'Retract' }).click();
    await expect(card.getAttribute('data-state')).resolves.toBe('completed');
    expect(deletes).toEqual([]);

    let question = '';
    page.once('dialog', (d) => {
      question = d.message();
      void d.accept();
    });
    await card.getByRole('button', { name: 'Retract' }).click();
    await page
      .locator(`li.ingestion[data-ingestion-id="${badId}"][data-state="retracted"]`)
      .waitFor({ timeout: 60_000 });
    expect(question).toContain(BAD_NAME);
    expect(deletes).toEqual([`${pipeline.gateway.url}/api/v1/ingestions/${badId}`]);
    await expect(card.locator('.note').textContent()).resolves.toBe(
      'Retracted: its 10 trips no longer count in any answer.',
    );
    await expect(card.getByRole('button', { name: 'Retract' }).count()).resolves.toBe(0);
    const { rows } = await pipeline.pool.query('SELECT state FROM meta.ingestions WHERE ingestion_id = $1', [badId]);
    expect(rows[0].state).toBe('retracted');
    const remaining = await tripsIn('Prague');
    expect(remaining).toBe(prague - 10);
    await eventually(totalTrips, { accept: (t) => t === remaining, what: 'Prague without the retracted trips' });

    // For the screenshot: the rejected rows (they stay after a retraction) and the map zoomed out to the borders.
    await card.getByRole('button', { name: 'Rejected rows (30)' }).click();
    await page.locator('#rejections tbody tr').first().waitFor();
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Zoom out' }).click();
    await expectNoOverlappingAxisLabels();
    const shot = join(repoRoot(), 'test-output', 'dashboard.png');
    mkdirSync(join(repoRoot(), 'test-output'), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    // The README's screenshot is refreshed on request only, so a test run leaves the work tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(shot, join(repoRoot(), 'docs', 'dashboard.png'));
    expect(consoleErrors).toEqual([]);
  });

  async function dragOnMap(fx0: number, fy0: number, fx1: number, fy1: number) {
    const box = await page.locator('#map').boundingBox();
    if (!box) throw new Error('map not laid out');
    await page.mouse.move(box.x + box.width * fx0, box.y + box.height * fy0);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * ((fx0 + fx1) / 2), box.y + box.height * ((fy0 + fy1) / 2), { steps: 4 });
    await page.mouse.move(box.x + box.width * fx1, box.y + box.height * fy1, { steps: 4 });
    await page.mouse.up();
  }

  /** The degree labels of the map, as laid out by the browser: no two overlap, and there are some on each axis. */
  async function expectNoOverlappingAxisLabels() {
    const labels = await page.$$eval('#map .grid-labels text', (ts) =>
      ts.map((t: any) => {
        const b = t.getBBox();
        return {
          text: t.textContent,
          cls: t.getAttribute('class'),
          x0: b.x,
          y0: b.y,
          x1: b.x + b.width,
          y1: b.y + b.height,
        };
      }),
    );
    expect(labels.filter((l) => l.cls?.includes('axis-x')).length).toBeGreaterThan(1);
    expect(labels.filter((l) => l.cls?.includes('axis-y')).length).toBeGreaterThan(1);
    // Whole, inside the map (600 × 360 units).
    for (const l of labels) expect([l.x0 >= 0, l.y0 >= 0, l.x1 <= 600, l.y1 <= 360]).toEqual([true, true, true, true]);
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++)
        if (overlaps(labels[i], labels[j]))
          throw new Error(`labels overlap: ${JSON.stringify([labels[i], labels[j]])}`);
  }

  async function totalTrips(): Promise<number> {
    const text = await page.locator('#area-stats div', { hasText: 'Total trips' }).locator('dd').textContent();
    return Number(text?.replace(/,/g, ''));
  }

  async function tripsIn(region: string): Promise<number> {
    const { rows } = await pipeline.pool.query(
      `SELECT count(*)::int AS trips FROM silver.trips t JOIN silver.regions r USING (region_id) WHERE r.name = $1`,
      [region],
    );
    return rows[0].trips;
  }
});
