/**
 * One real server for the conformance suite: examples/models loaded by createInferenceServer, the
 * HTTP and the gRPC frontend in front of it on ephemeral ports, and a Transport for each.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { grpcTransport } from './grpc-transport.js';
import { httpTransport } from './http-transport.js';
import type { Transport, TransportName } from './transport.js';

export const EXAMPLES = fileURLToPath(new URL('../../../../examples/models', import.meta.url));

/** The example models the suite serves (text_direction and autocomplete are left out: not needed, slower). */
export const MODELS = ['classifier', 'identity_fp32', 'nobatch', 'repeat_int32', 'simple', 'strings'] as const;

export interface ConformanceServer {
  readonly server: InferenceServer;
  readonly transports: Readonly<Record<TransportName, Transport>>;
  close(): Promise<void>;
}

/** Serves a temp repository of links to the MODELS of examples/models. */
export async function startConformanceServer(): Promise<ConformanceServer> {
  const repository = mkdtempSync(join(tmpdir(), 'inferd-conformance-'));
  for (const m of MODELS) symlinkSync(join(EXAMPLES, m), join(repository, m));
  const { server } = await createInferenceServer({ modelRepository: repository });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const [h, g] = await Promise.all([http.listen(), grpc.listen()]);
  const transports = { http: httpTransport(h.port), grpc: grpcTransport(g.port) };
  return {
    server,
    transports,
    async close() {
      await Promise.all(Object.values(transports).map((t) => t.close()));
      await Promise.all([http.close(), grpc.close()]);
      await server.shutdown(1000);
      rmSync(repository, { recursive: true, force: true });
    },
  };
}
