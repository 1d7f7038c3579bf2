import { cp, mkdtemp, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { testEnv } from '#testing';
import { dropDatabase, ensureDatabase, readMigrations, runMigrations } from './migrations.js';
import { sqlPath } from './repo-root.js';

// A database of its own: the shared test database is already migrated by the global setup.
const url = (() => {
  const u = new URL(testEnv().DATABASE_URL);
  u.pathname = `${u.pathname}_migrations`;
  return u.toString();
})();

async function appliedNames(): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>('SELECT name FROM meta.schema_migrations ORDER BY name');
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe('migration runner (real PostgreSQL)', () => {
  beforeAll(async () => {
    await dropDatabase(url);
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
  });
  afterAll(() => dropDatabase(url));

  it('applies every migration in order once; a second run is a no-op', async () => {
    const files = (await readMigrations()).map((f) => f.name);
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect([...files].sort()).toEqual(files);

    const first = await runMigrations(url);
    expect(first.applied).toEqual(files);
    expect(await appliedNames()).toEqual(files);

    const second = await runMigrations(url);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(files);
  });

  it('concurrent runners apply each migration once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migr-'));
    await cp(sqlPath('migrations'), dir, { recursive: true });
    await writeFile(join(dir, '9001_concurrent_probe.sql'), 'CREATE TABLE meta.concurrent_probe (id int);');
    const results = await Promise.all([runMigrations(url, dir), runMigrations(url, dir), runMigrations(url, dir)]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 1]);
    expect(await appliedNames()).toContain('9001_concurrent_probe.sql');
  });

  it('refuses a migration that changed after it was applied', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migr-'));
    await cp(sqlPath('migrations'), dir, { recursive: true });
    await writeFile(join(dir, '9001_concurrent_probe.sql'), 'CREATE TABLE meta.concurrent_probe (id int);');
    await appendFile(join(dir, '0002_bronze.sql'), '\n-- edited\n');
    await expect(runMigrations(url, dir)).rejects.toThrow('migration 0002_bronze.sql was changed after it was applied');
  });

  it('rolls back a failing migration and records nothing for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migr-'));
    await cp(sqlPath('migrations'), dir, { recursive: true });
    await writeFile(join(dir, '9001_concurrent_probe.sql'), 'CREATE TABLE meta.concurrent_probe (id int);');
    await writeFile(join(dir, '9002_broken.sql'), 'CREATE TABLE meta.half_done (id int); SELECT no_such_function();');
    await expect(runMigrations(url, dir)).rejects.toThrow(/migration 9002_broken.sql failed/);
    expect(await appliedNames()).not.toContain('9002_broken.sql');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('meta.half_done') AS t");
    await client.end();
    expect(rows[0].t).toBeNull();
  });

  it('rejects badly named files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migr-'));
    await writeFile(join(dir, 'create-things.sql'), 'SELECT 1');
    await expect(readMigrations(dir)).rejects.toThrow('must look like 0001_name.sql');
  });
});

describe('dropDatabase', () => {
  it('refuses a database whose name does not say test', async () => {
    await expect(dropDatabase('postgres://postgres@127.0.0.1:5432/trips')).rejects.toThrow('does not contain "test"');
  });
});
