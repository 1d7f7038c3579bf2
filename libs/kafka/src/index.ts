export * from './kafka.factory.js';
export * from './publisher.js';
export * from './consumer.js';
export * from './kafka.module.js';
export * from './kafka.health.js';
export * from './throttle.js';
export * from './topic-trimmer.js';
export * from './errors.js';
