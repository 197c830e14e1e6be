/**
 * Test support: a real inferd in this process (HTTP and gRPC frontends on ephemeral ports) over a temp
 * repository holding links to examples/models (simple, identity_fp32, strings, classifier, repeat_int32,
 * accumulator) plus `types` (identity over every datatype) and `slow`, a plug-in-backend model that
 * answers OUT=IN after IN ms (for timeouts and aborts).
 * Client shared memory is allowed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrpcFrontend, HttpFrontend, createInferenceServer, type InferenceServer } from 'inferd';
import { pluginBackend } from '../../../server/test/support/plugin-backend.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));
export const EXAMPLE_MODELS = ['simple', 'identity_fp32', 'strings', 'classifier', 'repeat_int32', 'accumulator'] as const;

/** Every datatype: the `types` model copies optional input I_<T> to output O_<T> (identity backend). */
export const ALL_TYPES = ['BOOL', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16'] as const;

function typesConfig(): string {
  const io = (prefix: string, extra: string) => ALL_TYPES
    .map((t) => `{ name: "${prefix}_${t}" data_type: ${t === 'BYTES' ? 'TYPE_STRING' : `TYPE_${t}`} dims: [ -1 ]${extra} }`).join(', ');
  return ['backend: "identity"', 'max_batch_size: 0', `input [ ${io('I', ' optional: true')} ]`, `output [ ${io('O', '')} ]`].join('\n');
}


const SLOW_BACKEND = pluginBackend('client_test_slow', `
          await Promise.all(requests.map((r) => new Promise((resolve) => {
            const ms = new DataView(r.inputs[0].data.buffer, r.inputs[0].data.byteOffset, 4).getInt32(0, true);
            setTimeout(() => { r.respond({ outputs: [{ ...r.inputs[0], name: 'OUT' }] }); resolve(); }, ms);
          })));`);

const SLOW_CONFIG = [
  'backend: "client_test_slow"', 'max_batch_size: 0',
  'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
  'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
  'instance_group [ { count: 4 kind: KIND_CPU } ]',
].join('\n');

export interface LiveServer {
  readonly server: InferenceServer;
  /** `127.0.0.1:<port>` of the HTTP frontend. */
  readonly httpUrl: string;
  /** `127.0.0.1:<port>` of the gRPC frontend. */
  readonly grpcUrl: string;
  close(): Promise<void>;
}

export async function startLiveServer(): Promise<LiveServer> {
  const root = mkdtempSync(join(tmpdir(), 'inferd-client-'));
  const repo = join(root, 'models');
  const backends = join(root, 'backends');
  mkdirSync(join(repo, 'slow', '1'), { recursive: true });
  writeFileSync(join(repo, 'slow', 'config.pbtxt'), SLOW_CONFIG);
  mkdirSync(join(repo, 'types', '1'), { recursive: true });
  writeFileSync(join(repo, 'types', 'config.pbtxt'), typesConfig());
  for (const m of EXAMPLE_MODELS) symlinkSync(join(EXAMPLES, m), join(repo, m), 'dir');
  mkdirSync(join(backends, 'client_test_slow'), { recursive: true });
  writeFileSync(join(backends, 'client_test_slow', 'index.mjs'), SLOW_BACKEND);
  const { server } = await createInferenceServer({ modelRepository: repo, backendDirectory: backends, allowClientShm: true });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const h = await http.listen();
  const g = await grpc.listen();
  return {
    server,
    httpUrl: `127.0.0.1:${h.port}`,
    grpcUrl: `127.0.0.1:${g.port}`,
    async close() {
      await Promise.all([http.close(), grpc.close()]);
      await server.shutdown(1000);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
