// `npm run db:schema`: migrates a scratch database from nothing and writes its schema to sql/schema.sql.
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '#config';
import { dropDatabase, dumpSchema, ensureDatabase, runMigrations, sqlPath } from '#db';

const url = new URL(loadConfig().DATABASE_URL);
url.pathname = `${url.pathname}_test_schema_dump`; // "test": dropDatabase refuses any other name
const scratch = url.toString();
await dropDatabase(scratch);
await ensureDatabase(scratch);
try {
  await runMigrations(scratch);
  await writeFile(sqlPath('schema.sql'), await dumpSchema(scratch));
  process.stdout.write('[db:schema] wrote sql/schema.sql\n');
} finally {
  await dropDatabase(scratch);
}
