export * from './repo-root.js';
export * from './pool.js';
export * from './migrations.js';
export * from './settings.js';
export * from './db.module.js';
export * from './transient.js';
export * from './schema-dump.js';
export * from './snapshot.js';
