/**
 * Where our .proto files live and how they are loaded. The generated interfaces in proto-types.ts
 * describe objects loaded with exactly these @grpc/proto-loader options.
 */

/** Absolute path of packages/protocol/proto (the same from src/ under tsx and from dist/). */
export const PROTO_DIR: string = decodeURIComponent(new URL('../../proto/', import.meta.url).pathname);

/** `grpc_service.proto` imports `model_config.proto`; `health.proto` is grpc.health.v1. */
export const PROTO_FILES = ['grpc_service.proto', 'health.proto'] as const;

/**
 * Options for `@grpc/proto-loader`'s `load`/`loadSync` (add `includeDirs: [PROTO_DIR]`).
 * `longs: String`: 64-bit integers (shapes, counters, correlation ids, uint64_param) arrive as
 * decimal strings, so nothing above 2^53 is silently rounded; encoders accept numbers or strings.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;
