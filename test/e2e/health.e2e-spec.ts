import { startService, type RunningService, type ServiceName } from '#testing';

const SERVICES: ServiceName[] = ['upload-gateway', 'bronze-loader', 'transformer', 'query-api', 'notifier'];

// Each service process boots from its compiled main.ts, as `npm start` runs it.
describe('GET /health of every service', () => {
  const running: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
  });

  it.each(SERVICES)('%s answers 200 with PostgreSQL and Kafka up', async (name) => {
    const service = await startService(name);
    running.push(service);
    const res = await fetch(`${service.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; details: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(body.details.database.status).toBe('up');
    expect(body.details.kafka.status).toBe('up');
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
    const body = JSON.parse(text) as { status: string; error: Record<string, { status: string; message: string }> };
    expect(body.status).toBe('error');
    expect(body.error.database).toMatchObject({ status: 'down', message: 'unreachable' });
    expect(body.error.kafka).toBeUndefined();
    // No host, port or driver message in the public answer.
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres|nowhere/);
  });
});
