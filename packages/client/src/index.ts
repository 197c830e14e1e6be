/**
 * @inferd/client: typed clients for inferd and Triton servers. This entry has both protocols (Node);
 * `@inferd/client/http` is the HTTP part alone (browser-safe), `@inferd/client/shm` the Node-only
 * system shared-memory helpers.
 */
export * from './http.js';
export * from './grpc.js';
