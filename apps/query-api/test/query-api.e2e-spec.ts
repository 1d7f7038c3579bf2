import { readFileSync } from 'node:fs';
import {
  ingestFile,
  startPipeline,
  startService,
  type IngestionRow,
  type Pipeline,
  type RunningService,
  SAMPLE_CSV,
} from '#testing';
import { bruteForceCsv, averageFields, getJson, nonZero, psqlFile, tripsOfCsv, type Match } from './helpers.js';

const SAMPLE = SAMPLE_CSV;
const HEADER = 'region,origin_coord,destination_coord,datetime,datasource\n';
// Every row of this upload is rejected (lines 2–6), so it adds nothing to silver or gold.
const BAD_ROWS = [
  'Prague,POINT (14.4 abc),POINT (14.43 50.04),2018-05-28 09:03:40,funny_car',
  'Prague,POINT (14.4 50.0),POINT (14.43 50.04),2018-02-30 09:03:40,funny_car',
  ',POINT (14.4 50.0),POINT (14.43 50.04),2018-05-28 09:03:40,funny_car',
  'Prague,POINT (14.4 50.0),POINT (14.43 50.04),2018-05-28 09:03:40,funny_car,extra',
  'Prague,POINT (200 50.0),POINT (14.43 50.04),2018-05-28 09:03:40,funny_car',
];

describe('query-api on the 100-row sample (real pipeline, database of its own)', () => {
  let pipeline: Pipeline;
  let api: RunningService;
  let sample: IngestionRow;
  let rejected: IngestionRow;
  const get = (path: string) => getJson(api.url, path);

  beforeAll(async () => {
    pipeline = await startPipeline('query_sample');
    sample = await ingestFile(pipeline, SAMPLE);
    rejected = await ingestFile(pipeline, Buffer.from(HEADER + BAD_ROWS.join('\n') + '\n'));
    api = await startService('query-api', pipeline.env);
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await pipeline?.stop();
  });

  describe('GET /api/v1/trips/weekly-average', () => {
    it('Prague: ISO weeks 18–22 of 2018 hold 10, 8, 8, 5, 3 trips → 6.8 a week', async () => {
      const { status, body } = await get('/api/v1/trips/weekly-average?region=Prague');
      expect(status).toBe(200);
      expect(body).toEqual({
        filter: { region: 'Prague' },
        from: '2018-04-30',
        to: '2018-06-03',
        weeksMode: 'period',
        weeks: 5,
        activeWeeks: 5,
        totalTrips: 34,
        weeklyAverage: 6.8,
        series: [
          { weekStart: '2018-04-30', trips: 10 },
          { weekStart: '2018-05-07', trips: 8 },
          { weekStart: '2018-05-14', trips: 8 },
          { weekStart: '2018-05-21', trips: 5 },
          { weekStart: '2018-05-28', trips: 3 },
        ],
      });
    });

    it('Turin 7.6 and Hamburg 5.6, over the same 5 weeks of all data; region names are case-insensitive', async () => {
      const turin = await get('/api/v1/trips/weekly-average?region=Turin');
      expect([turin.body.weeks, turin.body.totalTrips, turin.body.weeklyAverage]).toEqual([5, 38, 7.6]);
      const hamburg = await get('/api/v1/trips/weekly-average?region=%20hAMBURG%20');
      expect([hamburg.body.weeks, hamburg.body.totalTrips, hamburg.body.weeklyAverage]).toEqual([5, 28, 5.6]);
    });

    it('an unknown region is 200 with zero trips over the data period', async () => {
      const { status, body } = await get('/api/v1/trips/weekly-average?region=Atlantis');
      expect(status).toBe(200);
      expect(body).toMatchObject({ weeks: 5, totalTrips: 0, weeklyAverage: 0 });
      expect(body.series.map((w: { trips: number }) => w.trips)).toEqual([0, 0, 0, 0, 0]);
    });

    it('from/to select whole ISO weeks; weeks without trips count as zero', async () => {
      const { body } = await get('/api/v1/trips/weekly-average?region=Prague&from=2018-05-10&to=2018-05-15');
      expect(body).toMatchObject({ from: '2018-05-07', to: '2018-05-20', weeks: 2, totalTrips: 16, weeklyAverage: 8 });
      const wide = await get('/api/v1/trips/weekly-average?region=Prague&from=2018-04-23&to=2018-06-10');
      expect(wide.body).toMatchObject({ weeks: 7, totalTrips: 34 });
      expect(wide.body.weeklyAverage).toBeCloseTo(34 / 7, 12);
      expect(wide.body.series[0]).toEqual({ weekStart: '2018-04-23', trips: 0 });
    });

    it('datasource narrows the count; an unknown one is 200 with zero', async () => {
      const { body } = await get('/api/v1/trips/weekly-average?region=Prague&datasource=cheap_mobile');
      const { rows } = await pipeline.pool.query(
        `SELECT count(*)::int AS n FROM silver.trips t JOIN silver.regions r USING (region_id) JOIN silver.datasources d USING (datasource_id)
          WHERE r.name = 'Prague' AND d.name = 'cheap_mobile'`,
      );
      expect(rows[0].n).toBeGreaterThan(0);
      expect(body).toMatchObject({ filter: { region: 'Prague', datasource: 'cheap_mobile' }, totalTrips: rows[0].n });
      const unknown = await get('/api/v1/trips/weekly-average?region=Prague&datasource=no_such_source');
      expect([unknown.status, unknown.body.totalTrips, unknown.body.weeks]).toEqual([200, 0, 5]);
    });

    it('weeks=active: the box of issue #13 (both ends inside) has 3 trips in 2 of the 5 weeks → 1.5, against 0.6 per week of the period', async () => {
      const box = 'bbox=7.5415091,45.091605,10.0588964,53.4948642&match=both';
      const series = [
        { weekStart: '2018-04-30', trips: 2 },
        { weekStart: '2018-05-07', trips: 0 },
        { weekStart: '2018-05-14', trips: 0 },
        { weekStart: '2018-05-21', trips: 1 },
        { weekStart: '2018-05-28', trips: 0 },
      ];
      const common = {
        filter: { bbox: [7.5415091, 45.091605, 10.0588964, 53.4948642], match: 'both' },
        from: '2018-04-30',
        to: '2018-06-03',
        weeks: 5,
        activeWeeks: 2,
        totalTrips: 3,
        series,
      };
      const period = await get(`/api/v1/trips/weekly-average?${box}`);
      expect(period).toEqual({ status: 200, body: { ...common, weeksMode: 'period', weeklyAverage: 0.6 } });
      expect(await get(`/api/v1/trips/weekly-average?${box}&weeks=period`)).toEqual(period);
      const active = await get(`/api/v1/trips/weekly-average?${box}&weeks=active`);
      expect(active).toEqual({ status: 200, body: { ...common, weeksMode: 'active', weeklyAverage: 1.5 } });
      // Case and spaces do not matter, as for match.
      expect((await get(`/api/v1/trips/weekly-average?${box}&weeks=%20Active%20`)).body).toEqual(active.body);
    });

    it('weeks=active: zero weeks with trips average 0; every region has trips in all 5 weeks (same answer in both modes)', async () => {
      const none = await get('/api/v1/trips/weekly-average?region=Atlantis&weeks=active');
      expect(none.body).toMatchObject({
        weeksMode: 'active',
        weeks: 5,
        activeWeeks: 0,
        totalTrips: 0,
        weeklyAverage: 0,
      });
      for (const [region, average] of [
        ['Prague', 6.8],
        ['Turin', 7.6],
        ['Hamburg', 5.6],
      ] as const) {
        const { body } = await get(`/api/v1/trips/weekly-average?region=${region}&weeks=active`);
        expect([body.weeks, body.activeWeeks, body.weeklyAverage]).toEqual([5, 5, average]);
      }
      // Over 7 weeks, 2 of them empty: 34 / 7 by the period, 34 / 5 by the active weeks.
      const wide = await get('/api/v1/trips/weekly-average?region=Prague&from=2018-04-23&to=2018-06-10&weeks=active');
      expect(wide.body).toMatchObject({ weeks: 7, activeWeeks: 5, totalTrips: 34, weeklyAverage: 6.8 });
    });

    it('both weeks modes equal a brute force over the sample file: regions and boxes, every match, with periods and datasources', async () => {
      const trips = tripsOfCsv(SAMPLE);
      expect(trips).toHaveLength(100);
      type Area = { region: string } | { bbox: [number, number, number, number]; match: Match };
      const areas: Area[] = [
        { region: 'Prague' },
        { region: 'turin' },
        { region: 'Hamburg' },
        { region: 'Atlantis' },
        ...(['origin', 'destination', 'both', 'any'] as Match[]).flatMap((match) =>
          (
            [
              [7.5415091, 45.091605, 10.0588964, 53.4948642],
              [14.4, 50.0, 14.5, 50.1],
              [7.6, 45.0, 7.7, 45.1],
              [9.9, 53.5, 10.1, 53.6],
            ] as [number, number, number, number][]
          ).map((bbox) => ({ bbox, match })),
        ),
      ];
      const filters: { from?: string; to?: string; datasource?: string }[] = [
        {},
        { datasource: 'cheap_mobile' },
        { from: '2018-05-10', to: '2018-05-25' },
        { from: '2018-04-20', datasource: 'funny_car' },
      ];
      let differ = 0;
      for (const area of areas) {
        for (const filter of filters) {
          for (const weeks of ['period', 'active'] as const) {
            const params = new URLSearchParams({
              ...('region' in area ? { region: area.region } : { bbox: area.bbox.join(','), match: area.match }),
              ...filter,
              weeks,
            });
            const { status, body } = await get(`/api/v1/trips/weekly-average?${params.toString()}`);
            expect(status).toBe(200);
            const inPeriod = new Set(body.series.map((w: { weekStart: string }) => w.weekStart));
            const expected = new Map(
              [...bruteForceCsv(trips, area, filter.datasource)].filter(([week]) => inPeriod.has(week)),
            );
            expect({ area, filter, series: nonZero(body.series) }).toEqual({ area, filter, series: expected });
            const average = averageFields(body, weeks, expected.size);
            expect(average.actual).toEqual(average.expected);
            if (weeks === 'active' && body.weeklyAverage !== body.totalTrips / body.weeks) differ++;
          }
        }
      }
      // Not vacuous: many of these answers have weeks without trips.
      expect(differ).toBeGreaterThan(10);
    });

    it('a bbox around all of Prague counts the trips that start and end there (match=both by default)', async () => {
      const { body } = await get('/api/v1/trips/weekly-average?bbox=14,49.5,15,50.5');
      expect(body.filter).toEqual({ bbox: [14, 49.5, 15, 50.5], match: 'both' });
      expect(body.totalTrips).toBe(34);
      const any = await get('/api/v1/trips/weekly-average?bbox=14,49.5,15,50.5&match=any');
      expect(any.body.totalTrips).toBe(34);
    });
  });

  describe('GET /api/v1/insights', () => {
    it('latest datasource among the two most common regions (Turin, Prague) is pt_search_app, Turin, 2018-05-31 06:20:59', async () => {
      const { status, body } = await get('/api/v1/insights/latest-datasource?topRegions=2');
      expect(status).toBe(200);
      expect(body.latest).toEqual({ region: 'Turin', datasource: 'pt_search_app', datetime: '2018-05-31T06:20:59' });
      expect(body.regions.map((r: { region: string; trips: number }) => [r.region, r.trips])).toEqual([
        ['Turin', 38],
        ['Prague', 34],
      ]);
      expect(body.regions[0]).toMatchObject({
        latestDatasource: 'pt_search_app',
        latestDatetime: '2018-05-31T06:20:59',
      });
      const defaults = await get('/api/v1/insights/latest-datasource');
      expect(defaults.body).toEqual(body);
      const three = await get('/api/v1/insights/latest-datasource?topRegions=3');
      expect(three.body.regions.map((r: { region: string }) => r.region)).toEqual(['Turin', 'Prague', 'Hamburg']);
    });

    it('cheap_mobile appeared in Hamburg, Prague and Turin', async () => {
      const { status, body } = await get('/api/v1/insights/datasource-regions?datasource=cheap_mobile');
      expect(status).toBe(200);
      expect(body.datasource).toBe('cheap_mobile');
      expect(body.regions.map((r: { region: string }) => r.region)).toEqual(['Hamburg', 'Prague', 'Turin']);
      expect(body.regions.every((r: { trips: number }) => r.trips > 0)).toBe(true);
      const unknown = await get('/api/v1/insights/datasource-regions?datasource=nobody');
      expect(unknown).toEqual({ status: 200, body: { datasource: 'nobody', regions: [] } });
    });
  });

  describe('GET /api/v1/regions', () => {
    it('names the known regions, by prefix and bounded; bad parameters answer the house error format', async () => {
      const { rows } = await pipeline.pool.query<{ name: string }>(
        'SELECT name FROM silver.regions ORDER BY name_key COLLATE "C"',
      );
      expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['Hamburg', 'Prague', 'Turin']));
      await expect(get('/api/v1/regions')).resolves.toEqual({ status: 200, body: { items: rows.map((r) => r.name) } });
      await expect(get('/api/v1/regions?prefix=pR&limit=5')).resolves.toEqual({
        status: 200,
        body: { items: ['Prague'] },
      });
      await expect(get('/api/v1/regions?limit=1')).resolves.toEqual({ status: 200, body: { items: [rows[0].name] } });
      await expect(get('/api/v1/regions?limit=101')).resolves.toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: {
            code: 'invalid_limit',
            message: 'limit must be an integer between 1 and 100',
            details: { limit: '101' },
          },
        },
      });
      const repeated = await get('/api/v1/regions?prefix=a&prefix=b');
      expect([repeated.status, repeated.body.error.code]).toEqual([400, 'invalid_prefix']);
    });
  });

  describe('GET /api/v1/trip-groups', () => {
    type Group = {
      region: string;
      tripCount: number;
      origin: { centre: { lon: number; lat: number } };
      timeOfDay: { start: string; end: string };
    };
    const allPages = async (query: string, limit: number) => {
      const groups: Group[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { status, body } = await get(
          `/api/v1/trip-groups?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(status).toBe(200);
        expect(body.items.length).toBeLessThanOrEqual(limit);
        groups.push(...body.items);
        cursor = body.nextCursor;
        pages++;
      } while (cursor && pages < 1000);
      return { groups, pages };
    };

    it('pages through every group once, largest first; the counts add up to every trip', async () => {
      const { groups, pages } = await allPages('', 7);
      const { rows } = await pipeline.pool.query('SELECT count(*)::int AS n FROM gold.trip_groups');
      expect(groups).toHaveLength(rows[0].n);
      expect(pages).toBe(Math.ceil(rows[0].n / 7));
      expect(groups.reduce((n, g) => n + g.tripCount, 0)).toBe(100);
      for (let i = 1; i < groups.length; i++)
        expect(groups[i - 1].tripCount).toBeGreaterThanOrEqual(groups[i].tripCount);
      const keys = groups.map((g) => JSON.stringify(g));
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('filters by region, time of day and origin-cell centre in a bbox', async () => {
      const prague = await allPages('&region=PRAGUE', 1000);
      expect(prague.groups.reduce((n, g) => n + g.tripCount, 0)).toBe(34);
      expect(new Set(prague.groups.map((g) => g.region))).toEqual(new Set(['Prague']));

      const { rows } = await pipeline.pool.query(
        `SELECT count(*)::int AS n FROM silver.trips WHERE occurred_at::time >= '08:00' AND occurred_at::time < '08:30'`,
      );
      const morning = await allPages('&timeOfDay=08:15', 1000);
      expect(morning.groups.reduce((n, g) => n + g.tripCount, 0)).toBe(rows[0].n);
      expect(morning.groups.every((g) => g.timeOfDay.start === '08:00' && g.timeOfDay.end === '08:30')).toBe(true);

      const box = [14.4, 50.0, 14.5, 50.1];
      const inBox = await allPages(`&bbox=${box.join(',')}`, 1000);
      expect(inBox.groups.length).toBeGreaterThan(0);
      for (const g of inBox.groups) {
        expect(g.origin.centre.lon).toBeGreaterThanOrEqual(box[0]);
        expect(g.origin.centre.lat).toBeGreaterThanOrEqual(box[1]);
        expect(g.origin.centre.lon).toBeLessThanOrEqual(box[2]);
        expect(g.origin.centre.lat).toBeLessThanOrEqual(box[3]);
      }
      const all = await allPages('', 1000);
      const outside = all.groups.filter((g) => !inBox.groups.some((h) => JSON.stringify(h) === JSON.stringify(g)));
      expect(
        outside.every(
          (g) =>
            g.origin.centre.lon < box[0] ||
            g.origin.centre.lon > box[2] ||
            g.origin.centre.lat < box[1] ||
            g.origin.centre.lat > box[3],
        ),
      ).toBe(true);
    });

    it('describes each group: cells with centre and bounds, bucket, dates, datasource names', async () => {
      const { body } = await get('/api/v1/trip-groups?limit=1&region=Turin');
      const g = body.items[0];
      expect(g.region).toBe('Turin');
      expect(g.origin.bounds[2] - g.origin.bounds[0]).toBeCloseTo(0.01, 9);
      expect(g.origin.centre.lon).toBeCloseTo((g.origin.bounds[0] + g.origin.bounds[2]) / 2, 9);
      expect(g.timeOfDay.start).toMatch(/^\d\d:[03]0$/);
      expect(g.firstSeen).toMatch(/^2018-0[56]-\d\dT\d\d:\d\d:\d\d$/);
      expect(g.datasources.length).toBeGreaterThan(0);
      expect(body.grid).toEqual({ cellDegrees: 0.01, bucketMinutes: 30 });
    });
  });

  describe('GET /api/v1/ingestions', () => {
    it('one ingestion: state, rows per layer, chunks, timestamps and timings', async () => {
      const { status, body } = await get(`/api/v1/ingestions/${sample.ingestion_id.toUpperCase()}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        ingestionId: sample.ingestion_id,
        state: 'completed',
        totalRows: 100,
        counts: { upload: 100, bronze: 100, silver: 100, rejected: 0, gold: 100 },
        error: null,
        links: { rejections: `/api/v1/ingestions/${sample.ingestion_id}/rejections` },
      });
      expect(body.chunks.total).toBeGreaterThanOrEqual(1);
      expect(body.bytes).toBe(readFileSync(SAMPLE).length);
      expect(Date.parse(body.timestamps.completedAt)).toBeGreaterThanOrEqual(Date.parse(body.timestamps.acceptedAt));
      expect(body.timings.totalMs).toBe(
        Date.parse(body.timestamps.completedAt) - Date.parse(body.timestamps.acceptedAt),
      );
      for (const k of ['uploadMs', 'bronzeMs', 'silverMs', 'goldMs']) expect(body.timings[k]).toBeGreaterThanOrEqual(0);
    });

    it('the list is newest first and pages with a cursor', async () => {
      const first = await get('/api/v1/ingestions?limit=1');
      expect(first.body.items.map((i: { ingestionId: string }) => i.ingestionId)).toEqual([rejected.ingestion_id]);
      const second = await get(`/api/v1/ingestions?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.items.map((i: { ingestionId: string }) => i.ingestionId)).toEqual([sample.ingestion_id]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('rejections: line, reason code and text, raw values, paged by line', async () => {
      const p1 = await get(`/api/v1/ingestions/${rejected.ingestion_id}/rejections?limit=3`);
      expect(p1.status).toBe(200);
      const p2 = await get(
        `/api/v1/ingestions/${rejected.ingestion_id}/rejections?limit=3&cursor=${p1.body.nextCursor}`,
      );
      expect(p2.body.nextCursor).toBeNull();
      const items = [...p1.body.items, ...p2.body.items];
      expect(items.map((r: { line: number; reason: string }) => [r.line, r.reason])).toEqual([
        [2, 'bad_origin'],
        [3, 'invalid_datetime'],
        [4, 'missing_region'],
        [5, 'field_count'],
        [6, 'origin_out_of_range'],
      ]);
      expect(items[0]).toMatchObject({
        reasonText: 'origin_coord is not a WKT POINT (lon lat)',
        values: {
          region: 'Prague',
          originCoord: 'POINT (14.4 abc)',
          datetime: '2018-05-28 09:03:40',
          datasource: 'funny_car',
        },
      });
      expect(items[3].rawRecord).toContain('extra');
      const detail = await get(`/api/v1/ingestions/${rejected.ingestion_id}`);
      expect(detail.body.counts).toEqual({ upload: 5, bronze: 5, silver: 0, rejected: 5, gold: 0 });
    });

    it('rejections: a page ends once its values pass 4 MiB, and the cursor goes on from there', async () => {
      // Six rows whose 900 kB region is rejected (region_too_long) and kept as a value.
      const long = 'r'.repeat(900_000);
      const rows = Array.from({ length: 6 }, () => `${long},POINT (1 1),POINT (1 1),2018-05-28 09:03:40,a`);
      const big = await ingestFile(pipeline, Buffer.from(HEADER + rows.join('\n') + '\n'));
      const p1 = await get(`/api/v1/ingestions/${big.ingestion_id}/rejections?limit=1000`);
      // A page takes rows while what it holds is under 4 MiB: five rows (4.5 MB), not the sixth.
      expect(p1.body.items.map((r: { line: number }) => r.line)).toEqual([2, 3, 4, 5, 6]);
      expect(p1.body.items[0].reason).toBe('region_too_long');
      const p2 = await get(`/api/v1/ingestions/${big.ingestion_id}/rejections?limit=1000&cursor=${p1.body.nextCursor}`);
      expect(p2.body.items.map((r: { line: number }) => r.line)).toEqual([7]);
      expect(p2.body.nextCursor).toBeNull();
    }, 60_000);

    it('unknown id → 404 ingestion_not_found; not a UUID → 400 invalid_ingestion_id', async () => {
      const missing = await get('/api/v1/ingestions/00000000-0000-4000-8000-000000000000');
      expect([missing.status, missing.body.error.code]).toEqual([404, 'ingestion_not_found']);
      const missingRejects = await get('/api/v1/ingestions/00000000-0000-4000-8000-000000000000/rejections');
      expect([missingRejects.status, missingRejects.body.error.code]).toEqual([404, 'ingestion_not_found']);
      for (const bad of ['abc', "1'%20OR%20'1'='1", '00000000-0000-4000-8000-00000000000g']) {
        const res = await get(`/api/v1/ingestions/${bad}`);
        expect([res.status, res.body.error.code]).toEqual([400, 'invalid_ingestion_id']);
      }
    });
  });

  describe('bad input', () => {
    const injection = encodeURIComponent("Prague'; DROP TABLE silver.trips; --");
    it.each([
      ['/api/v1/trips/weekly-average', 'missing_area'],
      ['/api/v1/trips/weekly-average?region=Prague&bbox=14,50,15,51', 'ambiguous_area'],
      ['/api/v1/trips/weekly-average?region=Prague&region=Turin', 'ambiguous_area'],
      ['/api/v1/trips/weekly-average?bbox=14,50,15', 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=', 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=a,b,c,d', 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=15,50,14,51', 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=14,51,15,50', 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=14,50,181,51', 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=14,-91,15,51', 'invalid_bbox'],
      [`/api/v1/trips/weekly-average?bbox=${injection}`, 'invalid_bbox'],
      ['/api/v1/trips/weekly-average?bbox=14,50,15,51&match=inside', 'invalid_match'],
      ['/api/v1/trips/weekly-average?region=Prague&weeks=nonzero', 'invalid_weeks'],
      ['/api/v1/trips/weekly-average?bbox=14,50,15,51&weeks=period&weeks=active', 'invalid_weeks'],
      ['/api/v1/trips/weekly-average?region=Prague&from=2018-02-30', 'invalid_date'],
      ['/api/v1/trips/weekly-average?region=Prague&to=28.05.2018', 'invalid_date'],
      ['/api/v1/trips/weekly-average?region=Prague&from=2018-06-01&to=2018-05-01', 'invalid_date'],
      ['/api/v1/trip-groups?limit=0', 'invalid_limit'],
      ['/api/v1/trip-groups?limit=1001', 'invalid_limit'],
      ['/api/v1/trip-groups?limit=abc', 'invalid_limit'],
      ['/api/v1/trip-groups?cursor=abc', 'invalid_cursor'],
      [
        `/api/v1/trip-groups?cursor=${Buffer.from("[1,1,1,1,'1'); DROP TABLE gold.trip_groups; --]").toString('base64url')}`,
        'invalid_cursor',
      ],
      // A region id past integer, a bucket past smallint: 400, not PostgreSQL's "out of range".
      [`/api/v1/trip-groups?cursor=${Buffer.from('[1,2147483648,1,1,1]').toString('base64url')}`, 'invalid_cursor'],
      [`/api/v1/trip-groups?cursor=${Buffer.from('[1,1,1,1,32768]').toString('base64url')}`, 'invalid_cursor'],
      ['/api/v1/trip-groups?timeOfDay=25:00', 'invalid_time_of_day'],
      ['/api/v1/trip-groups?bbox=1,2', 'invalid_bbox'],
      ['/api/v1/ingestions?limit=5000', 'invalid_limit'],
      [`/api/v1/ingestions?cursor=${injection}`, 'invalid_cursor'],
      [
        `/api/v1/ingestions?cursor=${Buffer.from('["2018-02-30T00:00:00.000000Z",1]').toString('base64url')}`,
        'invalid_cursor',
      ],
      ['/api/v1/insights/latest-datasource?topRegions=0', 'invalid_top_regions'],
      ['/api/v1/insights/datasource-regions', 'missing_datasource'],
    ])('%s → 400 %s', async (path, code) => {
      const { status, body } = await get(path);
      expect(status).toBe(400);
      expect(body).toMatchObject({ statusCode: 400, error: { code } });
      expect(typeof body.error.message).toBe('string');
    });

    it('injection strings in region and datasource are plain values: 200, nothing found, nothing dropped', async () => {
      const region = await get(`/api/v1/trips/weekly-average?region=${injection}`);
      expect([region.status, region.body.totalTrips, region.body.filter.region]).toEqual([
        200,
        0,
        "Prague'; DROP TABLE silver.trips; --",
      ]);
      const ds = await get(`/api/v1/insights/datasource-regions?datasource=${encodeURIComponent("x' OR '1'='1")}`);
      expect([ds.status, ds.body.regions]).toEqual([200, []]);
      const avg = await get(
        `/api/v1/trips/weekly-average?region=Prague&datasource=${encodeURIComponent("' OR 1=1 --")}`,
      );
      expect([avg.status, avg.body.totalTrips]).toEqual([200, 0]);
      const groups = await get(`/api/v1/trip-groups?region=${injection}`);
      expect([groups.status, groups.body.items]).toEqual([200, []]);
      const { rows } = await pipeline.pool.query('SELECT count(*)::int AS n FROM silver.trips');
      expect(rows[0].n).toBe(100);
    });
  });

  describe('OpenAPI', () => {
    const weeksParam = (op: { parameters: { name: string; schema: { enum: string[]; default: string } }[] }) => {
      const { schema } = op.parameters.find((p) => p.name === 'weeks')!;
      return { enum: schema.enum, default: schema.default };
    };
    it('serves Swagger UI at /docs and a described OpenAPI 3 document at /docs-json', async () => {
      const ui = await fetch(`${api.url}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
      const { status, body } = await get('/docs-json');
      expect(status).toBe(200);
      expect(body.openapi).toMatch(/^3\./);
      const weekly = body.paths['/api/v1/trips/weekly-average'].get;
      expect(weekly.description).toContain('ISO week');
      expect(weekly.description).toContain('`both` (default');
      expect(weekly.description).toContain('unknown region is not an error');
      expect(weekly.description).toContain('`weeks=active`');
      expect(weeksParam(weekly)).toEqual({ enum: ['period', 'active'], default: 'period' });
      const examples = weekly.responses['200'].content['application/json'].examples;
      expect([examples.bboxPeriod.value.weeklyAverage, examples.bboxActive.value.weeklyAverage]).toEqual([0.6, 1.5]);
      expect(body.components.schemas.WeeklyAverageDto.required).toEqual(
        expect.arrayContaining(['weeksMode', 'weeks', 'activeWeeks']),
      );
      const params = Object.fromEntries(
        weekly.parameters.map((p: { name: string; description: string; example: unknown }) => [p.name, p]),
      );
      for (const name of ['region', 'bbox', 'match', 'from', 'to', 'datasource', 'weeks']) {
        expect(params[name].description.length).toBeGreaterThan(10);
        expect(params[name].example).toBeDefined();
        expect(params[name].schema.type).toBe('string');
      }
      for (const path of [
        '/api/v1/trip-groups',
        '/api/v1/ingestions',
        '/api/v1/ingestions/{id}',
        '/api/v1/ingestions/{id}/rejections',
        '/api/v1/insights/latest-datasource',
        '/api/v1/insights/datasource-regions',
        '/api/v1/regions',
      ]) {
        expect(body.paths[path]?.get?.responses?.['200']).toBeDefined();
      }
      expect(body.paths['/api/v1/trip-groups'].get.description).toContain('Similar trips');
      const upload = body.paths['/api/v1/ingestions'].post;
      expect(upload.servers[0].url).toMatch(/:3000$/);
      expect(upload.requestBody.content['text/csv']).toBeDefined();
    });
  });

  describe('sql/queries give the same answers as the API', () => {
    const url = () => pipeline.env.DATABASE_URL;

    it.each([
      [{ region: 'Prague' }],
      [{ region: 'turin', from: '2018-05-10' }],
      [{ region: 'Hamburg', to: '2018-05-20', datasource: 'cheap_mobile' }],
      [{ region: 'Atlantis' }],
      [{ region: 'Prague', from: '2018-04-23', to: '2018-06-10', weeks: 'active' }],
      [{ region: 'Hamburg', datasource: 'cheap_mobile', weeks: 'active' }],
      [{ region: 'Atlantis', weeks: 'active' }],
    ])('weekly-average-by-region.sql %j', async (vars: Record<string, string>) => {
      const [row] = await psqlFile(url(), 'weekly-average-by-region.sql', vars);
      const { body } = await get(`/api/v1/trips/weekly-average?${new URLSearchParams(vars).toString()}`);
      expect({
        from: row.from,
        to: row.to,
        weeksMode: row.weeks_mode,
        weeks: Number(row.weeks),
        activeWeeks: Number(row.active_weeks),
        totalTrips: Number(row.total_trips),
        weeklyAverage: Number(row.weekly_average),
        series: JSON.parse(row.series),
      }).toEqual({
        from: body.from,
        to: body.to,
        weeksMode: body.weeksMode,
        weeks: body.weeks,
        activeWeeks: body.activeWeeks,
        totalTrips: body.totalTrips,
        weeklyAverage: body.weeklyAverage,
        series: body.series,
      });
    });

    it.each([
      [{ bbox: '14,49.5,15,50.5' }],
      [{ bbox: '14.4,50.0,14.5,50.1', match: 'origin' }],
      [{ bbox: '7.6,45.0,7.7,45.1', match: 'any', from: '2018-05-14' }],
      [{ bbox: '9.9,53.5,10.1,53.6', match: 'destination', datasource: 'funny_car' }],
      [{ bbox: '7.5415091,45.091605,10.0588964,53.4948642', match: 'both', weeks: 'active' }],
      [{ bbox: '7.5415091,45.091605,10.0588964,53.4948642', match: 'both', weeks: 'period' }],
      [{ bbox: '9.9,53.5,10.1,53.6', match: 'destination', datasource: 'funny_car', weeks: 'active' }],
    ])('weekly-average-by-bbox.sql %j', async (vars: Record<string, string>) => {
      const [row] = await psqlFile(url(), 'weekly-average-by-bbox.sql', vars);
      const { body } = await get(`/api/v1/trips/weekly-average?${new URLSearchParams(vars).toString()}`);
      expect(Number(row.total_trips)).toBe(body.totalTrips);
      expect(JSON.parse(row.series)).toEqual(body.series);
      expect([row.from, row.to, Number(row.weeks)]).toEqual([body.from, body.to, body.weeks]);
      expect([row.weeks_mode, Number(row.active_weeks), Number(row.weekly_average)]).toEqual([
        body.weeksMode,
        body.activeWeeks,
        body.weeklyAverage,
      ]);
    });

    it('latest-datasource.sql', async () => {
      for (const top of ['1', '2', '3']) {
        const rows = await psqlFile(url(), 'latest-datasource.sql', { top });
        const { body } = await get(`/api/v1/insights/latest-datasource?topRegions=${top}`);
        expect(
          rows.map((r) => ({
            region: r.region,
            trips: Number(r.trips),
            latestDatasource: r.latest_datasource,
            latestDatetime: r.latest_datetime.replace(' ', 'T'),
          })),
        ).toEqual(body.regions);
        const latest = rows.find((r) => r.is_latest === 't')!;
        expect({
          region: latest.region,
          datasource: latest.latest_datasource,
          datetime: latest.latest_datetime.replace(' ', 'T'),
        }).toEqual(body.latest);
      }
    });

    it('datasource-regions.sql', async () => {
      for (const datasource of ['cheap_mobile', 'pt_search_app', 'nobody', "x' OR '1'='1"]) {
        const rows = await psqlFile(url(), 'datasource-regions.sql', { datasource });
        const { body } = await get(`/api/v1/insights/datasource-regions?datasource=${encodeURIComponent(datasource)}`);
        expect(rows.map((r) => ({ region: r.region, trips: Number(r.trips) }))).toEqual(body.regions);
      }
    });
  });
});
