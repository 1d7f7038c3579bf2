import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { dropDatabase } from '#db';
import { freePort, freshDatabase, startService, type RunningService } from '#testing';

/** The JSON log lines of a service's output. */
const logLines = (output: string): { level: number; msg?: string }[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg?: string });

const REFUSAL =
  /^transformer refuses to run: the grid settings differ from the database's: setting grid_cell_degrees=0\.05 differs from the 0\.01 this database was built with$/;

/** How the process ended, and its fatal lines. */
async function ending(service: RunningService) {
  const exit = await service.exited;
  const output = service.output();
  return {
    exit,
    fatal: logLines(output)
      .filter((l) => l.level === 60)
      .map((l) => l.msg),
    consumed: output.includes('transformer consuming'),
  };
}

/** A TCP forwarder to PostgreSQL on a port chosen before it listens: "PostgreSQL comes up" on demand. */
function postgresProxy(port: number, target: URL): { open(): Promise<void>; close(): void } {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    open: () =>
      new Promise((resolve, reject) => {
        server = createServer((client) => {
          const upstream = connect(Number(target.port || 5432), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => sockets.delete(s));
          }
          client.pipe(upstream).pipe(client);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    close() {
      for (const s of sockets) s.destroy();
      server?.close();
    },
  };
}

// GRID_CELL_DEGREES and TIME_BUCKET_MINUTES are fixed per database (meta.settings): gold built with
// another grid would be silently incomparable. The transformer refuses to run with others, through its
// bootstrap: a fatal line that says why, exit code 1, no work item consumed.
describe('transformer with grid settings other than the database was built with', () => {
  let databaseUrl: string;
  let pool: pg.Pool;
  const started: RunningService[] = [];
  const env = () => ({
    DATABASE_URL: databaseUrl,
    GRID_CELL_DEGREES: '0.05',
    KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? ''}grid.`,
  });

  beforeAll(async () => {
    databaseUrl = await freshDatabase('gridsettings');
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    await pool.query(
      "INSERT INTO meta.settings (key, value) VALUES ('grid_cell_degrees', '0.01'), ('time_bucket_minutes', '30')",
    );
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.kill()));
    await pool.end();
    await dropDatabase(databaseUrl);
  });

  it('refuses to start: a fatal line says why, exit code 1, nothing consumed', async () => {
    const transformer = await startService('transformer', env(), { wait: false });
    started.push(transformer);
    const { exit, fatal, consumed } = await ending(transformer);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(fatal).toEqual([expect.stringMatching(REFUSAL)]);
    expect(consumed).toBe(false);
    const { rows } = await pool.query("SELECT value FROM meta.settings WHERE key = 'grid_cell_degrees'");
    expect(rows).toEqual([{ value: '0.01' }]);
  });

  it('refuses as soon as PostgreSQL answers, when it was unreachable at boot', async () => {
    const port = await freePort();
    const proxy = postgresProxy(port, new URL(databaseUrl));
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    try {
      const transformer = await startService(
        'transformer',
        { ...env(), DATABASE_URL: viaProxy.toString() },
        { waitForHealthy: false },
      );
      started.push(transformer);
      // Up and telling why it does nothing yet.
      expect((await fetch(`${transformer.url}/health`)).status).toBe(503);
      expect(transformer.child.exitCode).toBeNull();
      await proxy.open();
      const { exit, fatal, consumed } = await ending(transformer);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(fatal).toEqual([expect.stringMatching(REFUSAL)]);
      expect(consumed).toBe(false);
    } finally {
      proxy.close();
    }
  });
});
