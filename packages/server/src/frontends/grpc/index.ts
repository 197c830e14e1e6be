export { GrpcFrontend } from './grpc-frontend.js';
export type { GrpcFrontendOptions } from './options.js';
export { GRPC_STATUS_BY_CODE } from './status-map.js';
export { DEFAULT_HTTP2_WINDOWS, type Http2Windows } from './http2-windows.js';
