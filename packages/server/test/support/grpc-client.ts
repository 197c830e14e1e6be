/**
 * Test support: a grpc-js client for inference.GRPCInferenceService and grpc.health.v1.Health built
 * from OUR protos (as an external client would be), with promise-returning unary calls.
 */
import { credentials as grpcCredentials, loadPackageDefinition, Metadata, type ChannelCredentials, type Client, type ClientDuplexStream, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS, type pb } from '@inferd/protocol';

const def = loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
const pkg = loadPackageDefinition(def) as unknown as {
  inference: { GRPCInferenceService: ServiceClientConstructor };
  grpc: { health: { v1: { Health: ServiceClientConstructor } } };
};

type UnaryMethod = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

export interface TestClient {
  readonly inference: Client;
  readonly health: Client;
  /** Calls a unary RPC; rejects with the ServiceError (code, details). */
  call<Res = any>(method: string, request: unknown, metadata?: Record<string, string>): Promise<Res>;
  /** Like `call`, and returns the call object (to cancel it). */
  start<Res = any>(method: string, request: unknown): { promise: Promise<Res>; cancel(): void };
  stream(metadata?: Record<string, string>): ClientDuplexStream<pb.ModelInferRequestInit, pb.ModelStreamInferResponse>;
  checkHealth(service?: string): Promise<pb.HealthCheckResponse>;
  close(): void;
}

function toMetadata(entries: Record<string, string> = {}): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

export function connect(port: number, creds: ChannelCredentials = grpcCredentials.createInsecure(), host = '127.0.0.1'): TestClient {
  const options = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
  const inference = new pkg.inference.GRPCInferenceService(`${host}:${port}`, creds, options);
  const health = new pkg.grpc.health.v1.Health(`${host}:${port}`, creds, options);
  const invoke = (client: Client, method: string, request: unknown, md: Metadata) => {
    let handle: { cancel(): void } | undefined;
    const promise = new Promise<any>((resolve, reject) => {
      const fn = (client as unknown as Record<string, UnaryMethod>)[method];
      if (fn === undefined) throw new Error(`no method ${method}`);
      handle = fn.call(client, request, md, (err, res) => (err ? reject(err) : resolve(res))) as { cancel(): void };
    });
    return { promise, cancel: () => handle?.cancel() };
  };
  return {
    inference,
    health,
    call: (method, request, metadata) => invoke(inference, method, request, toMetadata(metadata)).promise,
    start: (method, request) => invoke(inference, method, request, new Metadata()),
    stream: (metadata) =>
      (inference as unknown as Record<string, (md: Metadata) => ClientDuplexStream<pb.ModelInferRequestInit, pb.ModelStreamInferResponse>>)
        .ModelStreamInfer!.call(inference, toMetadata(metadata)),
    checkHealth: (service = '') => invoke(health, 'Check', { service }, new Metadata()).promise,
    close() {
      inference.close();
      health.close();
    },
  };
}
