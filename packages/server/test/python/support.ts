/**
 * Test support for the Python backend: a temp repository (example models copied in, or model.py
 * texts written by the test) served by a real InferenceServer behind real HTTP and gRPC frontends,
 * with every server log line captured. The stubs run the interpreter the backend picks by default
 * (`INFERD_PYTHON`, else /usr/bin/python3), which needs numpy.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer, GrpcFrontend, HttpFrontend, type InferenceServer } from '../../src/index.js';
import { Logger } from '../../src/observability/log.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';

export const EXAMPLES = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));

/** The files of `examples/models/<name>` as RepoFiles entries. */
export function exampleFiles(name: string): RepoFiles {
  const files: RepoFiles = {};
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(EXAMPLES, rel))) {
      const path = join(rel, entry);
      if (statSync(join(EXAMPLES, path)).isDirectory()) walk(path);
      else files[path] = readFileSync(join(EXAMPLES, path));
    }
  };
  walk(name);
  return files;
}

export interface PythonHarness {
  readonly server: InferenceServer;
  readonly httpPort: number;
  readonly grpc: TestClient;
  readonly logs: string[];
  readonly repoDir: string;
  close(): Promise<void>;
}

export async function startPython(
  files: RepoFiles, options: { backendConfig?: string[]; exitOnError?: boolean } = {},
): Promise<PythonHarness> {
  const repo = makeRepo(files);
  const logs: string[] = [];
  const logger = new Logger({ info: true, verboseLevel: 1 });
  logger.write = (line) => logs.push(line);
  let server: InferenceServer;
  try {
    ({ server } = await createInferenceServer({
      modelRepository: repo.dir, logger, backendConfig: options.backendConfig ?? [], exitOnError: options.exitOnError ?? true,
    }));
  } catch (err) {
    repo.cleanup();
    throw err;
  }
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const httpPort = (await http.listen()).port;
  const grpc = connect((await grpcFrontend.listen()).port);
  return {
    server, httpPort, grpc, logs, repoDir: repo.dir,
    async close() {
      grpc.close();
      await grpcFrontend.close();
      await http.close();
      await server.shutdown(5000);
      repo.cleanup();
    },
  };
}

/** True while a process with this id exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const f32 = (values: readonly number[]): Buffer => Buffer.from(new Float32Array(values).buffer);
export const i32 = (values: readonly number[]): Buffer => Buffer.from(new Int32Array(values).buffer);
export const readF32 = (b: Uint8Array): number[] => [...new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
export const readI32 = (b: Uint8Array): number[] => [...new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
