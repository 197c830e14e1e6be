/**
 * Test support for system shared memory: POSIX shm objects as files under /dev/shm (removed by
 * `cleanup`), and one server with client shm enabled (plus one without) behind real HTTP and gRPC
 * frontends, over a temp repository of identity models and a slow plug-in backend.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { makeRepo } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

/** Copies input i to output i after `delay_ms` (request parameter) milliseconds. */
const SLOW_BACKEND = pluginBackend('test_shm_slow', `
          await Promise.all(requests.map((r) => new Promise((resolve) => {
            setTimeout(() => {
              r.respond({ outputs: r.inputs.map((t, i) => ({ ...t, name: ctx.spec.outputs[i].name })) });
              resolve();
            }, Number(r.parameters.delay_ms ?? 0));
          })));`);

/** Triton's `simple` shape: INT32 INPUT0/INPUT1 [16] -> OUTPUT0/OUTPUT1, batching up to 8. */
function simpleConfig(backend: string): string {
  return [
    `backend: "${backend}"`, 'max_batch_size: 8',
    'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]',
  ].join('\n');
}

export interface Served {
  readonly server: InferenceServer;
  readonly httpPort: number;
  readonly grpc: TestClient;
  close(): Promise<void>;
}

async function serve(dir: string, backendDirectory: string, allowClientShm: boolean): Promise<Served> {
  const { server } = await createInferenceServer({ modelRepository: dir, backendDirectory, allowClientShm });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const { port: httpPort } = await http.listen();
  const { port: grpcPort } = await grpcFrontend.listen();
  const grpc = connect(grpcPort);
  return {
    server, httpPort, grpc,
    async close() {
      grpc.close();
      await http.close();
      await grpcFrontend.close();
      await server.shutdown(1000);
    },
  };
}

export interface ShmWorld {
  readonly enabled: Served;
  readonly disabled: Served;
  /** Creates `/dev/shm/<key>` of `size` zero bytes; returns the key with its leading '/'. */
  object(name: string, size: number): string;
  /** Plants `/dev/shm/<key>` as a symlink to `target` (an attacker's move); returns the key. */
  symlink(name: string, target: string): string;
  /** Creates `/dev/shm/<key>` as a FIFO (not a regular file); returns the key. */
  fifo(name: string): string;
  read(key: string): Buffer;
  write(key: string, offset: number, data: Uint8Array): void;
  close(): Promise<void>;
}

export async function startShmWorld(): Promise<ShmWorld> {
  const repo = makeRepo({
    'simple/config.pbtxt': simpleConfig('identity'), 'simple/1/': null,
    'slow/config.pbtxt': simpleConfig('test_shm_slow'), 'slow/1/': null,
  });
  const backends = join(repo.dir, '..', `${repo.dir.split('/').pop()!}-backends`);
  mkdirSync(join(backends, 'test_shm_slow'), { recursive: true });
  writeFileSync(join(backends, 'test_shm_slow', 'index.js'), SLOW_BACKEND);
  const enabled = await serve(repo.dir, backends, true);
  const disabled = await serve(repo.dir, backends, false);
  const prefix = `inferd-test-${process.pid}-`;
  const created: string[] = [];
  const path = (key: string): string => join('/dev/shm', key.slice(1));
  return {
    enabled, disabled,
    object(name, size) {
      const key = `/${prefix}${name}`;
      writeFileSync(path(key), Buffer.alloc(size));
      created.push(key);
      return key;
    },
    symlink(name, target) {
      const key = `/${prefix}${name}`;
      symlinkSync(target, path(key));
      created.push(key);
      return key;
    },
    fifo(name) {
      const key = `/${prefix}${name}`;
      execFileSync('mkfifo', [path(key)]);
      created.push(key);
      return key;
    },
    read: (key) => readFileSync(path(key)),
    write(key, offset, data) {
      const buf = readFileSync(path(key));
      buf.set(data, offset);
      writeFileSync(path(key), buf);
    },
    async close() {
      await enabled.close();
      await disabled.close();
      for (const key of created) rmSync(path(key), { force: true });
      repo.cleanup();
      rmSync(backends, { recursive: true, force: true });
    },
  };
}

export function int32(values: readonly number[]): Buffer {
  return Buffer.from(new Int32Array(values).buffer);
}

export function readInt32(data: Uint8Array): number[] {
  return [...new Int32Array(Uint8Array.from(data).buffer)];
}

export const RANGE = (from: number): number[] => Array.from({ length: 16 }, (_, i) => from + i);
