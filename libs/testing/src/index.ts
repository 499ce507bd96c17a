export * from './nats-server.js';
export * from './ports.js';
export * from './processes.js';
export * from './udp.js';
export * from './bus.js';
export * from './metrics.js';
export * from './netns.js';
export * from './memory.js';
