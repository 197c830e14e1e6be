/**
 * Test support: a temp model repository of identity-backend models plus plug-in backends (test_*, so no
 * built-in can shadow them) written into a temp backend directory (a decoupled one that streams N responses, a slow one, one that
 * waits for cancellation), served by a real InferenceServer behind a real GrpcFrontend.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { GrpcFrontend, type GrpcFrontendOptions } from '../../src/frontends/grpc/index.js';
import { connect, type TestClient } from './grpc-client.js';
import { makeRepo, type RepoFiles } from './temp-repo.js';
import { pluginBackend } from './plugin-backend.js';

/** Answers IN=[n] with n responses OUT=[i] (i = 0..n-1), `delay_ms` apart, then a flag-only final. n < 0 fails. */
const DECOUPLED_BACKEND = pluginBackend('test_stream_n', `
          for (const r of requests) {
            const n = new DataView(r.inputs[0].data.buffer, r.inputs[0].data.byteOffset, 4).getInt32(0, true);
            const delay = Number(r.parameters.delay_ms ?? 0);
            (async () => {
              if (n < 0) { r.respondError(new Error('repeat count must be >= 0, got ' + n)); return; }
              for (let i = 0; i < n; i++) {
                if (delay > 0) await sleep(delay);
                r.respond({ outputs: [{ name: 'OUT', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([i]).buffer) }] }, false);
              }
              r.respond({}, true);
            })();
          }`, `const sleep = (ms) => new Promise((r) => setTimeout(r, ms));`);

/** Non-decoupled: answers OUT=IN after IN milliseconds (requests run concurrently). */
const SLOW_BACKEND = pluginBackend('test_slow', `
          await Promise.all(requests.map((r) => new Promise((resolve) => {
            const ms = new DataView(r.inputs[0].data.buffer, r.inputs[0].data.byteOffset, 4).getInt32(0, true);
            setTimeout(() => { r.respond({ outputs: [{ ...r.inputs[0], name: 'OUT' }] }); resolve(); }, ms);
          })));`);

/** Never answers on its own: waits for the request's AbortSignal, records it, then fails the request. */
const HANG_BACKEND = pluginBackend('test_hang', `
          const log = (globalThis.__inferdHangLog ??= []);
          await Promise.all(requests.map((r) => new Promise((resolve) => {
            const entry = { id: r.id, aborted: false };
            log.push(entry);
            const done = () => { entry.aborted = true; r.respondError(new Error('Request was cancelled')); resolve(); };
            if (r.signal?.aborted) done(); else r.signal?.addEventListener('abort', done, { once: true });
          })));`);

export function hangLog(): { id: string; aborted: boolean }[] {
  return ((globalThis as Record<string, unknown>).__inferdHangLog ??= []) as { id: string; aborted: boolean }[];
}

function int32Model(backend: string, extra = ''): string {
  return [
    `backend: "${backend}"`, 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]', extra,
  ].join('\n');
}

const TYPES = ['BOOL', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16'] as const;
export const TYPED_MODEL_TYPES = TYPES;

function configType(t: string): string {
  return t === 'BYTES' ? 'TYPE_STRING' : `TYPE_${t}`;
}

/** Identity over one input/output pair per datatype: I_<T> -> O_<T>, dims [-1], no batching. */
function typesModel(): string {
  const io = (prefix: string, extra: string) =>
    TYPES.map((t) => `{ name: "${prefix}_${t}" data_type: ${configType(t)} dims: [ -1 ]${extra} }`).join(', ');
  return ['backend: "identity"', 'max_batch_size: 0', `input [ ${io('I', ' optional: true')} ]`, `output [ ${io('O', '')} ]`].join('\n');
}

export const GRPC_TEST_REPO: RepoFiles = {
  'echo_fp32/config.pbtxt': [
    'backend: "identity"', 'max_batch_size: 8',
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  ].join('\n'),
  'echo_fp32/1/': null,
  'types/config.pbtxt': typesModel(),
  'types/1/': null,
  'repeat/config.pbtxt': int32Model('test_stream_n', 'model_transaction_policy { decoupled: true }'),
  'repeat/1/': null,
  'slow/config.pbtxt': int32Model('test_slow', 'instance_group [ { count: 4 kind: KIND_CPU } ]'),
  'slow/1/': null,
  'hang/config.pbtxt': int32Model('test_hang'),
  'hang/1/': null,
};

export interface GrpcHarness {
  readonly server: InferenceServer;
  readonly frontend: GrpcFrontend;
  readonly port: number;
  readonly client: TestClient;
  readonly logs: string[];
  close(): Promise<void>;
}

/** A repository dir (plus the temp backends) served over gRPC on an ephemeral port. */
export async function startGrpc(
  repositories: readonly string[] = [],
  options: Partial<GrpcFrontendOptions> = {},
  clientFor?: (port: number) => TestClient,
): Promise<GrpcHarness> {
  const repo = makeRepo(GRPC_TEST_REPO);
  const backends = join(repo.dir, '..', `${repo.dir.split('/').pop()}-backends`);
  for (const [name, text] of [['test_stream_n', DECOUPLED_BACKEND], ['test_slow', SLOW_BACKEND], ['test_hang', HANG_BACKEND]] as const) {
    mkdirSync(join(backends, name), { recursive: true });
    writeFileSync(join(backends, name, 'index.mjs'), text);
  }
  const { server } = await createInferenceServer({ modelRepository: [repo.dir, ...repositories], backendDirectory: backends });
  const logs: string[] = [];
  const frontend = new GrpcFrontend(server, {
    port: 0, address: '127.0.0.1', log: (level, message) => logs.push(`${level}: ${message}`), ...options,
  });
  const { port } = await frontend.listen();
  const client = clientFor === undefined ? connect(port) : clientFor(port);
  return {
    server, frontend, port, client, logs,
    async close() {
      client.close();
      await frontend.close();
      await server.shutdown(1000);
      repo.cleanup();
      rmSync(backends, { recursive: true, force: true });
    },
  };
}
