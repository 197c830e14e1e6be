/**
 * Loads our protos (from @inferd/protocol) once into grpc-js service definitions. Objects are
 * shaped as in @inferd/protocol's generated `pb` types (PROTO_LOADER_OPTIONS).
 */
import {
  loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '@inferd/protocol';
import {
  modelInferRequestDecoder, modelInferResponseEncoder, type RequestDecoder, type ResponseEncoder,
} from './model-infer-codec.js';

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
 * The inference service as the server registers it: ModelInfer's requests and replies go through
 * model-infer-codec.ts (the same objects and bytes as proto-loader's, less work per call).
 */
export function serverInferenceService(service: ServiceDefinition): ServiceDefinition {
  const modelInfer = service.ModelInfer!;
  const requestDeserialize = modelInferRequestDecoder(modelInfer.requestDeserialize as RequestDecoder);
  const responseSerialize = modelInferResponseEncoder(modelInfer.responseSerialize as ResponseEncoder);
  return { ...service, ModelInfer: { ...modelInfer, requestDeserialize, responseSerialize } };
}
