// Prepares an environment: creates the database if missing, applies migrations, creates topics.
// Idempotent. Used by `npm start` and `npm run setup`; reads the same env as the services.
import { loadConfig } from '#config';
import { ensureDatabase, runMigrations } from '#db';
import { createKafka, ensureTopics } from '#kafka';

const env = loadConfig();
const created = await ensureDatabase(env.DATABASE_URL);
const migrations = await runMigrations(env.DATABASE_URL);
const topics = await ensureTopics(createKafka(env, 'setup'), env);
const db = new URL(env.DATABASE_URL).pathname.slice(1);
process.stdout.write(
  `[setup] database ${db}${created ? ' created' : ''}; migrations applied: ${migrations.applied.length ? migrations.applied.join(', ') : 'none (up to date)'}; ` +
    `topics created: ${topics.length ? topics.join(', ') : 'none (all exist)'}\n`,
);
