export * from './datatypes.js';
export * from './bytes-codec.js';
export * from './fp16.js';
export * from './typed-view.js';
export * from './json-tensor.js';
export * from './binary-body.js';
export * from './grpc-contents.js';
export * from './generated/proto-files.js';
export type * as pb from './generated/proto-types.js';
