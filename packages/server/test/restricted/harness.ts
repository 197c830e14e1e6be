/**
 * Test support for restricted APIs and header forwarding: a temp repository with an identity model
 * (`echo`) and a `params` model whose plug-in backend answers OUT = [JSON of request.parameters]
 * (BYTES), served by one real InferenceServer behind a real HttpFrontend and a real GrpcFrontend.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { GrpcFrontend, type GrpcFrontendOptions } from '../../src/frontends/grpc/index.js';
import { HttpFrontend, type HttpFrontendOptions } from '../../src/frontends/http/index.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { makeRepo, identityConfig } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

const PARAMS_BACKEND = pluginBackend('test_params', `
          for (const r of requests) {
            const text = new TextEncoder().encode(JSON.stringify(r.parameters));
            const data = new Uint8Array(4 + text.length);
            new DataView(data.buffer).setUint32(0, text.length, true);
            data.set(text, 4);
            r.respond({ outputs: [{ name: 'OUT', datatype: 'BYTES', shape: [1], data }] });
          }`);

const REPO = {
  'echo/config.pbtxt': identityConfig(),
  'echo/1/': null,
  'params/config.pbtxt': [
    'backend: "test_params"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_STRING dims: [ 1 ] } ]',
  ].join('\n'),
  'params/1/': null,
};

export interface Served {
  readonly server: InferenceServer;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly client: TestClient;
  close(): Promise<void>;
}

export async function serveBoth(
  http: Partial<HttpFrontendOptions> = {},
  grpc: Partial<GrpcFrontendOptions> = {},
): Promise<Served> {
  const repo = makeRepo(REPO);
  const backends = `${repo.dir}-backends`;
  mkdirSync(join(backends, 'test_params'), { recursive: true });
  writeFileSync(join(backends, 'test_params', 'index.mjs'), PARAMS_BACKEND);
  const { server } = await createInferenceServer({ modelRepository: [repo.dir], backendDirectory: backends });
  const httpFrontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20, ...http });
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1', ...grpc });
  const { port: httpPort } = await httpFrontend.listen();
  const { port: grpcPort } = await grpcFrontend.listen();
  const client = connect(grpcPort);
  return {
    server, httpPort, grpcPort, client,
    async close() {
      client.close();
      await Promise.all([httpFrontend.close(), grpcFrontend.close()]);
      await server.shutdown(1000);
      repo.cleanup();
      rmSync(backends, { recursive: true, force: true });
    },
  };
}
