export { GrpcFrontend } from './grpc-frontend.js';
export type { GrpcFrontendOptions } from './options.js';
export { GRPC_STATUS_BY_CODE } from './status-map.js';
