import { freePort, startService, type RunningService, type ServiceName } from '#testing';

const SERVICES: ServiceName[] = ['upload-gateway', 'bronze-loader', 'transformer', 'query-api', 'notifier'];

/** What each service really uses, and so checks: query-api reads PostgreSQL only. */
const CHECKS: Record<ServiceName, string[]> = {
  'upload-gateway': ['database', 'kafka'],
  'bronze-loader': ['database', 'kafka'],
  transformer: ['database', 'kafka'],
  'query-api': ['database'],
  notifier: ['database', 'kafka', 'listener'],
};
const KAFKA_USERS = SERVICES.filter((s) => CHECKS[s].includes('kafka'));

interface HealthBody {
  status: string;
  info: Record<string, { status: string; message?: string }>;
  error: Record<string, { status: string; message?: string }>;
  details: Record<string, { status: string }>;
}

// Each service process boots from its compiled main.ts, as `npm start` runs it.
describe('GET /health of every service', () => {
  const running: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
  });

  it.each(SERVICES)('%s answers 200 with its dependencies up, checking only those', async (name) => {
    const service = await startService(name);
    running.push(service);
    const res = await fetch(`${service.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthBody;
    expect(body.status).toBe('ok');
    expect(Object.keys(body.details).sort()).toEqual(CHECKS[name]);
    for (const check of CHECKS[name]) expect(body.details[check].status).toBe('up');
    // Security headers (helmet) and CORS for the dashboard's origin only (NOTIFIER_PUBLIC_URL by default).
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const from = async (origin: string) =>
      (await fetch(`${service.url}/health`, { headers: { Origin: origin } })).headers.get(
        'access-control-allow-origin',
      );
    expect(await from('http://localhost:3002')).toBe('http://localhost:3002');
    expect(await from('http://evil.example')).toBeNull();
  });

  it.each(SERVICES)('%s answers 503 naming the database, not its host, when DATABASE_URL is wrong', async (name) => {
    const service = await startService(
      name,
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/trips_test_nowhere' },
      { waitForHealthy: false },
    );
    running.push(service);
    const res = await fetch(`${service.url}/health`);
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text) as HealthBody;
    expect(body.status).toBe('error');
    expect(body.error.database).toMatchObject({ status: 'down', message: 'unreachable' });
    expect(body.error.kafka).toBeUndefined();
    // No host, port or driver message in the public answer.
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres|nowhere/);
  });

  it('query-api answers 200 and serves queries while Kafka is unreachable: it never uses it', async () => {
    const closed = await freePort();
    const service = await startService('query-api', { KAFKA_BROKERS: `127.0.0.1:${closed}` });
    running.push(service);
    const res = await fetch(`${service.url}/health`);
    expect(res.status).toBe(200);
    const { details } = (await res.json()) as HealthBody;
    expect(Object.keys(details)).toEqual(['database']);
    expect(details.database.status).toBe('up');
    const query = await fetch(`${service.url}/api/v1/trips/weekly-average?region=Prague`);
    expect(query.status).toBe(200);
    expect(await query.json()).toMatchObject({ filter: { region: 'Prague' } });
  });

  it.each(KAFKA_USERS)('%s answers 503 naming Kafka, not its host, while Kafka is unreachable', async (name) => {
    const closed = await freePort();
    const service = await startService(name, { KAFKA_BROKERS: `127.0.0.1:${closed}` }, { waitForHealthy: false });
    running.push(service);
    const res = await fetch(`${service.url}/health`);
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text) as HealthBody;
    expect(Object.keys(body.error)).toEqual(['kafka']);
    // Refused at once, or still retrying when the check's time is up.
    expect(body.error.kafka).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/^unreachable$|^timeout/),
    });
    expect(body.info.database.status).toBe('up');
    expect(text).not.toMatch(new RegExp(`127\\.0\\.0\\.1|ECONNREFUSED|${closed}`));
  });
});
