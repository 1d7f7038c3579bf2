export * from './health.module.js';
export * from './health.checks.js';
export * from './errors.js';
export * from './bootstrap.js';
export * from './api-token.js';
