export * from './scan.js';
export * from './trips.js';
export * from './silver-copy.js';
