export * from './bus.js';
export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './ops-server.js';
export * from './service.js';
export * from './net.js';
export * from './udp.js';
