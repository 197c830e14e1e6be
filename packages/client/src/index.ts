/**
 * @inferd/client: typed clients for inferd and Triton servers. This entry has both protocols (Node);
 * `@inferd/client/http` is the browser-safe HTTP part, `@inferd/client/shm` the Node-only shm helpers.
 */
export * from './http.js';
