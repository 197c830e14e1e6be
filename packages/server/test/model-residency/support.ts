/**
 * Test support for on-demand loading and the model budgets (issue 19): a real server (explicit mode)
 * with HTTP and gRPC frontends and the @inferd/client clients, over a repository of
 * - ONNX "scale" models (our GraphBuilder; Y = X * k) served by the real onnxruntime backend, whose
 *   load can be held at a gate the test opens (the backend passed in wraps the built-in one and waits
 *   before `createModel`, so the test knows a load is in progress without sleeping), and
 * - "held" models (a JavaScript backend passed in): OUT = [tag]; a request with IN = [1] is held on the
 *   instance until the test opens the execution gate, so it is in flight for as long as the test wants.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcClient, HttpClient, InferInput } from '@inferd/client';
import onnx from '../../src/backends/onnxruntime/index.js';
import {
  createInferenceServer, GrpcFrontend, HttpFrontend, Logger,
  type Backend, type CreateServerOptions, type InferenceServer, type MetricsRegistry,
} from '../../src/index.js';
import { scaleModel, writeFiles, type Files } from '../model-control/support.js';
import { sample } from '../metrics/support.js';

export { indexLines } from '../model-control/support.js';
export { executing } from '../support/executing.js';

/** A promise the test resolves; `reached` resolves when something first waits on it. */
export class Gate {
  #open!: () => void;
  #reached!: () => void;
  readonly opened = new Promise<void>((r) => (this.#open = r));
  readonly reached = new Promise<void>((r) => (this.#reached = r));
  waiters = 0;

  wait(): Promise<void> {
    this.waiters += 1;
    this.#reached();
    return this.opened;
  }

  open(): void {
    this.#open();
  }
}

export function scaleFiles(name: string, k: number, extraConfig = ''): Files {
  return {
    [`${name}/config.pbtxt`]: [
      'platform: "onnxruntime_onnx"', 'max_batch_size: 4',
      'input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]',
      'output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]',
      'instance_group [ { count: 1 kind: KIND_CPU } ]', extraConfig,
    ].join('\n'),
    [`${name}/1/model.onnx`]: scaleModel(k),
  };
}

export function heldConfig(tag: number, extra = ''): string {
  return [
    'backend: "held"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'instance_group [ { count: 4 kind: KIND_CPU } ]',
    `parameters { key: "tag" value: { string_value: "${tag}" } }`,
    extra,
  ].join('\n');
}

export const PINNED = 'parameters { key: "inferd.pinned" value: { string_value: "true" } }';

export interface Rig {
  readonly server: InferenceServer;
  readonly metrics: MetricsRegistry;
  readonly repo: string;
  readonly http: HttpClient;
  readonly grpc: GrpcClient;
  /** Loads of ONNX models wait here while set (`rig.loadGate = new Gate()`); undefined = no wait. */
  loadGate: Gate | undefined;
  /** Held requests (IN = [1]) wait here. */
  execGate: Gate;
  /** Names of the ONNX models whose load reached the backend, in order. */
  readonly onnxLoads: string[];
  metric(name: string, labels?: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function startRig(files: Files, options: Partial<CreateServerOptions> = {}): Promise<Rig> {
  const root = mkdtempSync(join(tmpdir(), 'inferd-residency-'));
  const repo = join(root, 'models');
  mkdirSync(repo);
  writeFiles(repo, files);
  // eslint-disable-next-line prefer-const
  let rig: Rig;
  const gatedOnnx: Backend = {
    name: 'onnxruntime',
    async createModel(ctx) {
      rig.onnxLoads.push(ctx.config.name ?? '');
      await rig.loadGate?.wait();
      return onnx.createModel(ctx);
    },
  };
  const held: Backend = {
    name: 'held',
    async createModel(ctx) {
      if (ctx.config.parameters?.fail_load?.string_value === 'yes') throw new Error('held: asked to fail');
      const tag = Number(ctx.config.parameters?.tag?.string_value ?? '0');
      return {
        createInstance: async (ictx) => ({
          name: ictx.name,
          async execute(requests) {
            await Promise.all(requests.map(async (r) => {
              const d = r.inputs[0]!.data;
              if (new DataView(d.buffer, d.byteOffset, 4).getInt32(0, true) === 1) await rig.execGate.wait();
              r.respond({ outputs: [{ name: 'OUT', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([tag]).buffer) }] });
            }));
          },
          async dispose() {},
        }),
        dispose: async () => {},
      };
    },
  };
  let created;
  try {
    created = await createInferenceServer({
      modelRepository: repo,
      backends: { onnxruntime: gatedOnnx, held },
      exitOnError: false,
      modelControlMode: 'explicit',
      modelLoadOnDemand: true,
      logger: new Logger({ info: false, warning: false, error: false }),
      ...options,
    });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const { server, metrics } = created;
  const httpFrontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const h = await httpFrontend.listen();
  const g = await grpcFrontend.listen();
  const http = new HttpClient(`127.0.0.1:${h.port}`);
  const grpc = new GrpcClient(`127.0.0.1:${g.port}`);
  rig = {
    server, metrics: metrics!, repo, http, grpc, loadGate: undefined, execGate: new Gate(), onnxLoads: [],
    metric: async (name, labels = '') => sample(await metrics!.text(), name, labels),
    async close() {
      rig.loadGate?.open();
      rig.execGate.open();
      http.close();
      grpc.close();
      await Promise.all([httpFrontend.close(), grpcFrontend.close()]);
      await server.shutdown(5000);
      metrics?.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Y of a scale model for X = [1, 2, 3, 4] (so Y = k * X). */
export async function scaleOf(client: HttpClient | GrpcClient, model: string, options: { signal?: AbortSignal } = {}): Promise<number[]> {
  const x = new InferInput('X', [1, 4], 'FP32').setData([1, 2, 3, 4]);
  const r = await client.infer(model, [x], options);
  return [...(r.asTypedArray('Y') as Float32Array)];
}

/** The tag of a held model; `hold` keeps the request on the instance until the execution gate opens. */
export async function tagOf(client: HttpClient | GrpcClient, model: string, hold = false, requestId?: string): Promise<number> {
  const r = await client.infer(model, [new InferInput('IN', [1], 'INT32').setData([hold ? 1 : 0])], requestId === undefined ? {} : { requestId });
  return (r.asTypedArray('OUT') as Int32Array)[0]!;
}

/** Names with a READY version in the index. */
export function loaded(server: InferenceServer): string[] {
  return server.repositoryIndex().filter((e) => e.state === 'READY').map((e) => e.name);
}
