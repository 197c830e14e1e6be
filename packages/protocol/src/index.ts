export * from './datatypes.js';
export * from './bytes-codec.js';
