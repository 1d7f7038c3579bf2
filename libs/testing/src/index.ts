export * from './eventually.js';
export * from './test-env.js';
export * from './services.js';
export * from './pipeline.js';
export * from './exactly-once.js';
export * from './random.js';
