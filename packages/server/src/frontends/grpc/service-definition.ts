/**
 * Loads our protos (from @inferd/protocol) once into grpc-js service definitions. Objects are
 * shaped as in @inferd/protocol's generated `pb` types (PROTO_LOADER_OPTIONS).
 */
import {
  loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '@inferd/protocol';
import { modelInferRequestDecoder, type RequestDecoder } from './model-infer-codec.js';
import {
  modelInferResponseEncoder, modelStreamInferResponseEncoder, type ResponseEncoder, type StreamResponseEncoder,
} from './infer-response-encoder.js';

export interface ProtoServices {
  readonly inference: ServiceClientConstructor;
  readonly health: ServiceClientConstructor;
}

let cached: ProtoServices | undefined;

function child(obj: GrpcObject, path: string): ServiceClientConstructor {
  let cur: unknown = obj;
  for (const part of path.split('.')) cur = (cur as Record<string, unknown>)[part];
  return cur as ServiceClientConstructor;
}

/** `inference.GRPCInferenceService` and `grpc.health.v1.Health` (constructors carry `.service`). */
export function protoServices(): ProtoServices {
  if (cached === undefined) {
    const def = loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
    const pkg = loadPackageDefinition(def);
    cached = { inference: child(pkg, 'inference.GRPCInferenceService'), health: child(pkg, 'grpc.health.v1.Health') };
  }
  return cached;
}

/**
 * The inference service as the server registers it: ModelInfer's and ModelStreamInfer's requests and
 * replies go through model-infer-codec.ts and infer-response-encoder.ts (the same objects and bytes
 * as proto-loader's, less work per message).
 */
export function serverInferenceService(service: ServiceDefinition): ServiceDefinition {
  const modelInfer = service.ModelInfer!;
  const stream = service.ModelStreamInfer!;
  return {
    ...service,
    ModelInfer: {
      ...modelInfer,
      requestDeserialize: modelInferRequestDecoder(modelInfer.requestDeserialize as RequestDecoder),
      responseSerialize: modelInferResponseEncoder(modelInfer.responseSerialize as ResponseEncoder),
    },
    ModelStreamInfer: {
      ...stream,
      requestDeserialize: modelInferRequestDecoder(stream.requestDeserialize as RequestDecoder),
      responseSerialize: modelStreamInferResponseEncoder(stream.responseSerialize as StreamResponseEncoder),
    },
  };
}
