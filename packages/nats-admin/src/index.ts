export * from './authority.js';
export * from './authority-store.js';
export * from './streams.js';
