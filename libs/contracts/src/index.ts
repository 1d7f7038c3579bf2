export * from './topics.js';
export * from './raw-chunk.js';
export * from './bronze-work.js';
export * from './ingestion-events.js';
export * from './socket.js';
export * from './csv-schema.js';
export * from './grid.js';
export * from './ids.js';
