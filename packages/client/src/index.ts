/**
 * @inferd/client: typed clients for inferd and Triton servers. This entry is for Node: both protocols
 * and the system shared-memory helpers. `@inferd/client/http` is the HTTP part alone (browser-safe);
 * `@inferd/client/grpc` and `@inferd/client/shm` are the other parts on their own.
 */
export * from './http.js';
export * from './grpc.js';
export * from './shm.js';
