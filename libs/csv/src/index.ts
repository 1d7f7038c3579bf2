export * from './scan.js';
