/** `@inferd/client/grpc`: the gRPC client (Node: uses @grpc/grpc-js). */
export { GrpcClient, DEFAULT_GRPC_FLOW_CONTROL_WINDOW, type GrpcClientOptions, type GrpcTlsOptions, type GrpcKeepaliveOptions, type StreamOptions } from './grpc/grpc-client.js';
export { InferStream, type StreamResponse, type StreamInferOptions } from './grpc/infer-stream.js';
export type { GrpcInferOptions } from './grpc/infer-message.js';
export * from './common.js';
