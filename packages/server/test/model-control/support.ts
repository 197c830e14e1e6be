/**
 * Test support for model control: a repository on disk with a "tagged" plug-in backend (each request
 * sleeps IN[0] ms, then answers OUT = [tag], the tag coming from the config's `tag` parameter, so a
 * test sees which loaded version served it), an ONNX "scale" model from our GraphBuilder, and a real
 * server with HTTP and gRPC frontends and the @inferd/client clients.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GrpcClient, HttpClient, InferInput } from '@inferd/client';
import { GraphBuilder } from '../../../../scripts/onnx-builder.js';
import { createInferenceServer, GrpcFrontend, HttpFrontend, Logger, type CreateServerOptions, type InferenceServer } from '../../src/index.js';

const TAGGED_BACKEND = `
export const backend = {
  name: 'mc_tagged',
  async createModel(ctx) {
    const tag = Number(ctx.config.parameters?.tag?.string_value ?? '0');
    if (ctx.config.parameters?.fail_load?.string_value === 'yes') throw new Error('mc_tagged: asked to fail');
    return {
      createInstance: async (ictx) => ({
        name: ictx.name,
        async execute(requests) {
          await Promise.all(requests.map((r) => new Promise((resolve) => {
            const ms = new DataView(r.inputs[0].data.buffer, r.inputs[0].data.byteOffset, 4).getInt32(0, true);
            setTimeout(() => {
              r.respond({ outputs: [{ name: 'OUT', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([tag]).buffer) }] });
              resolve();
            }, ms);
          })));
        },
        async dispose() {},
      }),
      dispose: async () => {},
    };
  },
};
`;

export function taggedConfig(tag: number, extra = ''): string {
  return [
    'backend: "mc_tagged"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'instance_group [ { count: 8 kind: KIND_CPU } ]',
    `parameters { key: "tag" value: { string_value: "${tag}" } }`,
    extra,
  ].join('\n');
}

/** The same model as `taggedConfig`, as the JSON the load API's `config` parameter takes. */
export function taggedConfigJson(tag: number, more: Record<string, string> = {}): Record<string, unknown> {
  const parameters: Record<string, unknown> = { tag: { string_value: String(tag) } };
  for (const [k, v] of Object.entries(more)) parameters[k] = { string_value: v };
  return {
    backend: 'mc_tagged', max_batch_size: 0,
    input: [{ name: 'IN', data_type: 'TYPE_INT32', dims: [1] }],
    output: [{ name: 'OUT', data_type: 'TYPE_INT32', dims: [1] }],
    instance_group: [{ count: 8, kind: 'KIND_CPU' }],
    parameters,
  };
}

/** ONNX: FLOAT X [-1, 4] -> Y = X * k. */
export function scaleModel(k: number): Uint8Array {
  return new GraphBuilder('scale')
    .input('X', 'FLOAT', ['batch', 4])
    .initializer('k', 'FLOAT', [], [k])
    .node('Mul', ['X', 'k'], ['Y'])
    .output('Y', 'FLOAT', ['batch', 4])
    .toBytes();
}

export const SCALE_CONFIG_JSON = {
  platform: 'onnxruntime_onnx', max_batch_size: 4,
  input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [4] }],
  output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [4] }],
};

export function ensembleConfig(name: string, member: string): string {
  return [
    `name: "${name}"`, 'platform: "ensemble"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    `ensemble_scheduling { step [ { model_name: "${member}" model_version: -1 input_map { key: "IN" value: "IN" } output_map { key: "OUT" value: "OUT" } } ] }`,
  ].join('\n');
}

export type Files = Record<string, string | Uint8Array | null>;

export function writeFiles(root: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    if (content === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

export interface Live {
  readonly server: InferenceServer;
  readonly repo: string;
  readonly root: string;
  readonly failed: readonly string[];
  readonly http: HttpClient;
  readonly grpc: GrpcClient;
  /** The frontends' ports, for raw requests that must not go through @inferd/client. */
  readonly httpPort: number;
  readonly grpcPort: number;
  close(): Promise<void>;
}

export async function startLive(files: Files, options: Partial<CreateServerOptions> = {}): Promise<Live> {
  const root = mkdtempSync(join(tmpdir(), 'inferd-mc-'));
  const repo = join(root, 'models');
  mkdirSync(repo);
  writeFiles(repo, files);
  writeFiles(root, { 'backends/mc_tagged/index.mjs': TAGGED_BACKEND });
  let created;
  try {
    created = await createInferenceServer({
      modelRepository: repo,
      backendDirectory: join(root, 'backends'),
      exitOnError: false,
      logger: new Logger({ info: false, warning: false, error: false }),
      ...options,
    });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const { server, failedModels } = created;
  const httpFrontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const h = await httpFrontend.listen();
  const g = await grpcFrontend.listen();
  const http = new HttpClient(`127.0.0.1:${h.port}`);
  const grpc = new GrpcClient(`127.0.0.1:${g.port}`);
  return {
    server, repo, root, failed: failedModels, http, grpc, httpPort: h.port, grpcPort: g.port,
    async close() {
      http.close();
      grpc.close();
      await Promise.all([httpFrontend.close(), grpcFrontend.close()]);
      await server.shutdown(5000);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One request to a tagged model: sleeps `ms`, returns the tag of the version that served it. */
export async function tagOf(client: HttpClient | GrpcClient, model: string, ms = 0, requestId?: string): Promise<number> {
  const r = await client.infer(model, [new InferInput('IN', [1], 'INT32').setData([ms])], requestId === undefined ? {} : { requestId });
  return (r.asTypedArray('OUT') as Int32Array)[0]!;
}

/** The index as `name[:version]=STATE[ (reason)]` strings, for compact assertions. */
export function indexLines(server: InferenceServer): string[] {
  return server.repositoryIndex().map((e) =>
    `${e.name}${e.version === undefined ? '' : `:${e.version}`}${e.state === undefined ? '' : `=${e.state}`}${e.reason === undefined ? '' : ` (${e.reason})`}`);
}

/** Temporary override directories currently present (to check nothing is left behind). */
export function overrideDirs(): string[] {
  return readdirSync(tmpdir()).filter((e) => e.startsWith('inferd-override-'));
}

export { executing } from '../support/executing.js';

/** Waits until `cond` holds, checking every 50 ms, up to `ms` (wide margins: no speed assertions). */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
