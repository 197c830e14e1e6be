/** `@inferd/client/http`: the HTTP client alone, free of Node-only imports (usable in browsers). */
export { HttpClient, type HttpClientOptions } from './http/http-client.js';
export type { HttpInferResponse } from './http/infer-response.js';
export * from './common.js';
