export * from './binaries.js';
export * from './child-process.js';
export * from './free-port.js';
export * from './temp-dir.js';
export * from './postgres.js';
export * from './nats.js';
export * from './kubo.js';
