/** The inference.GRPCInferenceService client constructor, built once from the protocol package's .proto files. */
import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '@inferd/protocol';

let ctor: ServiceClientConstructor | undefined;

export function inferenceServiceClient(): ServiceClientConstructor {
  if (ctor === undefined) {
    const def = loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
    const pkg = loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: ServiceClientConstructor } };
    ctor = pkg.inference.GRPCInferenceService;
  }
  return ctor;
}
