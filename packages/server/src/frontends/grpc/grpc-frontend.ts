/**
 * The KServe v2 / Triton gRPC frontend on @grpc/grpc-js: inference.GRPCInferenceService and
 * grpc.health.v1.Health from our own protos. It talks to the server only through InferenceServer.
 */
import { Server, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { InferenceServer } from '../../core/index.js';
import { frameInterceptor } from './frame-interceptor.js';
import { modelInferHandler } from './handle-infer.js';
import { repositoryHandlers } from './handle-repository.js';
import { healthHandlers, serverHandlers } from './handle-server.js';
import { sharedMemoryHandlers } from './handle-shm.js';
import { modelStreamInferHandler } from './handle-stream.js';
import { installHttp2Windows } from './http2-windows.js';
import { bindTarget, credentials, http2Windows, serverOptions, type GrpcFrontendOptions } from './options.js';
import { protoServices, serverInferenceService } from './service-definition.js';
import { restrictHandlers } from './restricted.js';

export class GrpcFrontend {
  readonly #server: InferenceServer;
  readonly #options: GrpcFrontendOptions;
  #grpc: Server | undefined;

  constructor(server: InferenceServer, options: GrpcFrontendOptions) {
    this.#server = server;
    this.#options = options;
  }

  /** Binds and starts serving; logs `Started GRPCInferenceService at ADDRESS:PORT`. */
  async listen(): Promise<{ address: string; port: number }> {
    if (this.#grpc !== undefined) throw new Error('GrpcFrontend is already listening');
    const { address } = this.#options;
    const creds = credentials(this.#options);
    const windows = http2Windows(this.#options);
    // frameInterceptor: large messages are neither assembled twice nor copied again for framing.
    const grpc = new Server({ ...serverOptions(this.#options), interceptors: [frameInterceptor] });
    if (!installHttp2Windows(grpc, windows).sessions) {
      this.#options.log?.('warning', 'this grpc-js gives no hook for HTTP/2 windows: gRPC connections keep 64 KiB flow-control windows');
    }
    const services = protoServices();
    const inference: UntypedServiceImplementation = {
      ...serverHandlers(this.#server),
      ...repositoryHandlers(this.#server),
      ...sharedMemoryHandlers(this.#server.sharedMemory, this.#server.cudaSharedMemory),
      ModelInfer: modelInferHandler(this.#server),
      ModelStreamInfer: modelStreamInferHandler(this.#server),
    };
    const health = healthHandlers(this.#server) as UntypedServiceImplementation;
    grpc.addService(serverInferenceService(services.inference.service), restrictHandlers(inference, this.#options));
    grpc.addService(services.health.service, restrictHandlers(health, this.#options));
    const port = await new Promise<number>((resolve, reject) => {
      grpc.bindAsync(bindTarget(address, this.#options.port), creds, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    this.#grpc = grpc;
    const level = this.#options.responseCompression ?? 'none';
    if (level !== 'none') {
      this.#options.log?.('warning', `gRPC response compression level '${level}' is not supported; responses are sent uncompressed`);
    }
    this.#options.log?.('info', `Started GRPCInferenceService at ${address}:${port}`, { address, port });
    return { address, port };
  }

  /** Stops accepting calls and resolves once in-flight calls (open streams included) have finished. */
  async close(): Promise<void> {
    const grpc = this.#grpc;
    if (grpc === undefined) return;
    this.#grpc = undefined;
    await new Promise<void>((resolve) => grpc.tryShutdown(() => resolve()));
  }
}
