export * from './root-logger.js';
export * from './nest-logger.js';
export * from './request-logger.js';
export * from './logger.module.js';
