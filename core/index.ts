export * from './aws-regions.js';
export * from './datamodel.js';
export * from './errors.js';
export * from './names.js';
export * from './observability.js';
export * from './protocol.js';
export * from './runtime-env.js';
export * from './topology.js';
