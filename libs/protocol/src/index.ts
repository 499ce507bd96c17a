export * from './limits.js';
export * from './messages.js';
export * from './parse.js';
export * from './hash.js';
export * from './validate.js';
export * from './subjects.js';
export * from './bus-schemas.js';
export * from './bus-permissions.js';
