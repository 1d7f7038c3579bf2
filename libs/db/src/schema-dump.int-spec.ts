import { readFile } from 'node:fs/promises';
import { testEnv } from '#testing';
import { dropDatabase, ensureDatabase, runMigrations } from './migrations.js';
import { sqlPath } from './repo-root.js';
import { dumpSchema } from './schema-dump.js';

describe('sql/schema.sql', () => {
  const url = (() => {
    const u = new URL(testEnv().DATABASE_URL);
    u.pathname = `${u.pathname}_schema`;
    return u.toString();
  })();
  afterAll(() => dropDatabase(url));

  it('is the schema the migrations build from scratch (run `npm run db:schema` after adding one)', async () => {
    await dropDatabase(url);
    await ensureDatabase(url);
    await runMigrations(url);
    expect(await dumpSchema(url)).toBe(await readFile(sqlPath('schema.sql'), 'utf8'));
  }, 60_000);
});
