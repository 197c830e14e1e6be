// Shared by the bench processes: our GRPCInferenceService definition loaded from packages/protocol/proto
// with the options inferd uses, and the ModelInfer method path.
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('../../packages/protocol/proto/', import.meta.url));
export const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';

export function inferenceService() {
  const def = loadSync(['grpc_service.proto'], {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR],
  });
  return def['inference.GRPCInferenceService'];
}

/** grpc-js unlimited message sizes, as inferd sets them. */
export const CHANNEL_OPTIONS = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
