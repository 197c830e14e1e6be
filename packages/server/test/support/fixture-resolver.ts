/**
 * Test support: a ModelResolver that serves in-memory ModelSpecs with the identity backend, an
 * InstancePool and the DefaultScheduler — real core, real scheduler, real backend, no repository.
 */
import type { DataType } from '@inferd/protocol';
import {
  ModelStats, ServerError, type ExecutionInstance, type InferenceRequest, type ModelIndexEntry, type ModelLease,
  type ModelResolver, type ModelSpec, type ServedModel, type TensorSpec,
} from '../../src/core/index.js';
import { backend as identity } from '../../src/backends/identity/index.js';
import { DefaultScheduler } from '../../src/scheduler/default-scheduler.js';
import { InstancePool } from '../../src/scheduler/instance-pool.js';
import type { BackendModelContext } from '../../src/backends/contract.js';
import { noInvoker } from './no-invoker.js';

export interface FixtureTensor {
  name: string;
  datatype: DataType;
  dims: number[];
  labels?: string[];
  /** Config `optional: true` (default false). */
  optional?: boolean;
}

export interface FixtureModelDef {
  name: string;
  version?: number;
  maxBatchSize: number;
  inputs: FixtureTensor[];
  outputs: FixtureTensor[];
  decoupled?: boolean;
  /** Backend readiness probe answer (Python `is_ready()`); omitted = always ready. */
  ready?: boolean;
  /** A custom instance instead of the identity backend (e.g. to observe request fields). */
  instance?: (spec: ModelSpec) => ExecutionInstance;
}

function tensorSpec(t: FixtureTensor): TensorSpec {
  return {
    name: t.name, datatype: t.datatype, dims: t.dims, optional: t.optional ?? false, allowRaggedBatch: false, isShapeTensor: false,
    ...(t.labels === undefined ? {} : { labels: t.labels }),
  };
}

function configJson(d: FixtureModelDef): Record<string, unknown> {
  const io = (t: FixtureTensor) => ({ name: t.name, data_type: `TYPE_${t.datatype === 'BYTES' ? 'STRING' : t.datatype}`, dims: t.dims });
  return {
    name: d.name, platform: '', backend: 'identity', max_batch_size: d.maxBatchSize,
    input: d.inputs.map(io), output: d.outputs.map(io),
  };
}

export function specOf(d: FixtureModelDef): ModelSpec {
  return {
    name: d.name,
    version: d.version ?? 1,
    platform: 'identity',
    maxBatchSize: d.maxBatchSize,
    inputs: d.inputs.map(tensorSpec),
    outputs: d.outputs.map(tensorSpec),
    decoupled: d.decoupled ?? false,
    internalInputs: [],
    internalOutputs: [],
    configJson: configJson(d),
  };
}

async function serve(d: FixtureModelDef): Promise<ServedModel> {
  const spec = specOf(d);
  const ctx: BackendModelContext = {
    modelDir: '/nonexistent', versionDir: '/nonexistent/1', version: spec.version, modelPath: '/nonexistent/1/model',
    config: {}, backendConfig: {},
    log: { info() {}, warn() {}, error() {}, verbose() {} },
    invoker: noInvoker,
  };
  const model = await identity.createModel(ctx);
  const instance = d.instance !== undefined
    ? d.instance(spec)
    : await model.createInstance({ name: `${d.name}_0_0`, kind: 'KIND_CPU', deviceId: 0, config: {}, spec });
  const stats = new ModelStats(spec.name, spec.version);
  const scheduler = new DefaultScheduler(new InstancePool([instance], stats));
  const ready = d.ready;
  return { spec, scheduler, stats, ...(ready === undefined ? {} : { isReady: async () => ready }) };
}

export interface ControlCall {
  action: 'load' | 'unload';
  name: string;
  parameters: Readonly<Record<string, unknown>>;
}

export class FixtureResolver implements ModelResolver {
  readonly #catalog = new Map<string, FixtureModelDef[]>();
  readonly #served: ServedModel[] = [];
  readonly #unloaded = new Set<string>();
  /** Every load/unload call, for assertions. */
  readonly controlCalls: ControlCall[] = [];
  leases = 0;

  static async create(defs: readonly FixtureModelDef[]): Promise<FixtureResolver> {
    const r = new FixtureResolver();
    for (const d of defs) {
      const list = r.#catalog.get(d.name) ?? [];
      list.push(d);
      r.#catalog.set(d.name, list);
      r.#served.push(await serve(d));
    }
    return r;
  }

  acquire(name: string, version: number | undefined): ModelLease {
    const candidates = this.#served.filter((m) => m.spec.name === name && !this.#unloaded.has(name));
    if (candidates.length === 0) throw ServerError.notFound(`Request for unknown model: '${name}' is not found`);
    const model = version === undefined
      ? candidates.reduce((a, b) => (b.spec.version > a.spec.version ? b : a))
      : candidates.find((m) => m.spec.version === version);
    if (model === undefined) throw ServerError.notFound(`Request for unknown model: '${name}' version ${version} is not found`);
    this.leases += 1;
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        this.leases -= 1;
      },
    };
  }

  readyModels(): readonly ServedModel[] {
    return this.#served.filter((m) => !this.#unloaded.has(m.spec.name));
  }

  index(readyOnly: boolean): readonly ModelIndexEntry[] {
    const out: ModelIndexEntry[] = [];
    for (const m of this.#served) {
      const unloaded = this.#unloaded.has(m.spec.name);
      if (readyOnly && unloaded) continue;
      out.push(unloaded
        ? { name: m.spec.name, version: String(m.spec.version), state: 'UNAVAILABLE', reason: 'unloaded' }
        : { name: m.spec.name, version: String(m.spec.version), state: 'READY' });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  allModelsReady(): boolean {
    return true;
  }

  async load(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    this.controlCalls.push({ action: 'load', name, parameters });
    if (!this.#catalog.has(name)) {
      throw ServerError.invalidArg(`failed to load '${name}', failed to poll from model repository`);
    }
    this.#unloaded.delete(name);
  }

  async unload(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    this.controlCalls.push({ action: 'unload', name, parameters });
    if (this.#catalog.has(name)) this.#unloaded.add(name);
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.#served.map((m) => m.scheduler.stop()));
  }
}

/** Answers with its input copied and the request's fields as response parameters. */
function inspectInstance(): ExecutionInstance {
  return {
    name: 'inspect_0_0',
    async execute(requests: readonly InferenceRequest[]) {
      for (const r of requests) {
        const input = r.inputs[0]!;
        r.respond({
          outputs: [{ name: 'OUT', datatype: input.datatype, shape: input.shape, data: input.data }],
          parameters: {
            ...r.parameters, priority: r.priority, timeout_us: r.timeoutUs, correlation_id: String(r.correlationId),
            correlation_type: typeof r.correlationId, flags: r.flags, ratio: 0.5,
          },
        });
      }
    },
    async dispose() {},
  };
}

/** Requests seen by the `hang` model and whether their signal fired. */
export const hangLog: { id: string; aborted: boolean }[] = [];

/** Never answers on its own: waits for the request's AbortSignal (client disconnect), then fails it. */
function hangInstance(): ExecutionInstance {
  return {
    name: 'hang_0_0',
    async execute(requests: readonly InferenceRequest[]) {
      await Promise.all(requests.map((r) => new Promise<void>((resolve) => {
        const entry = { id: r.id, aborted: false };
        hangLog.push(entry);
        const done = () => {
          entry.aborted = true;
          r.respondError(ServerError.cancelled());
          resolve();
        };
        if (r.signal?.aborted) done();
        else r.signal?.addEventListener('abort', done, { once: true });
      })));
    },
    async dispose() {},
  };
}

const int32x16 = (name: string): FixtureTensor => ({ name, datatype: 'INT32', dims: [16] });

/** The models every HTTP test uses. */
export const FIXTURE_MODELS: readonly FixtureModelDef[] = [
  // Triton's "simple" shape: two INT32 inputs, two outputs, batching up to 8.
  { name: 'simple', maxBatchSize: 8, inputs: [int32x16('INPUT0'), int32x16('INPUT1')], outputs: [int32x16('OUTPUT0'), int32x16('OUTPUT1')] },
  { name: 'identity_fp16', maxBatchSize: 0, inputs: [{ name: 'INPUT0', datatype: 'FP16', dims: [-1] }], outputs: [{ name: 'OUTPUT0', datatype: 'FP16', dims: [-1] }] },
  { name: 'identity_bf16', maxBatchSize: 0, inputs: [{ name: 'INPUT0', datatype: 'BF16', dims: [-1] }], outputs: [{ name: 'OUTPUT0', datatype: 'BF16', dims: [-1] }] },
  { name: 'identity_bytes', maxBatchSize: 0, inputs: [{ name: 'INPUT0', datatype: 'BYTES', dims: [-1] }], outputs: [{ name: 'OUTPUT0', datatype: 'BYTES', dims: [-1] }] },
  { name: 'raw_bytes', maxBatchSize: 8, inputs: [{ name: 'INPUT0', datatype: 'BYTES', dims: [1] }], outputs: [{ name: 'OUTPUT0', datatype: 'BYTES', dims: [1] }] },
  { name: 'raw_fp32', maxBatchSize: 8, inputs: [{ name: 'INPUT0', datatype: 'FP32', dims: [-1] }], outputs: [{ name: 'OUTPUT0', datatype: 'FP32', dims: [-1] }] },
  { name: 'nobatch', maxBatchSize: 0, inputs: [{ name: 'IN', datatype: 'FP32', dims: [2, 3] }], outputs: [{ name: 'OUT', datatype: 'FP32', dims: [2, 3] }] },
  { name: 'all_types', maxBatchSize: 0, inputs: [
    { name: 'B', datatype: 'BOOL', dims: [-1] }, { name: 'U8', datatype: 'UINT8', dims: [-1] },
    { name: 'I64', datatype: 'INT64', dims: [-1] }, { name: 'U64', datatype: 'UINT64', dims: [-1] },
    { name: 'F64', datatype: 'FP64', dims: [-1] },
  ], outputs: [
    { name: 'OB', datatype: 'BOOL', dims: [-1] }, { name: 'OU8', datatype: 'UINT8', dims: [-1] },
    { name: 'OI64', datatype: 'INT64', dims: [-1] }, { name: 'OU64', datatype: 'UINT64', dims: [-1] },
    { name: 'OF64', datatype: 'FP64', dims: [-1] },
  ] },
  { name: 'classifier', maxBatchSize: 8, inputs: [{ name: 'SCORES', datatype: 'FP32', dims: [4] }],
    outputs: [{ name: 'PROBS', datatype: 'FP32', dims: [4], labels: ['cat', 'dog', '', 'bird'] }] },
  { name: 'two_versions', version: 1, maxBatchSize: 0, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
  { name: 'two_versions', version: 2, maxBatchSize: 0, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
  { name: 'not_ready', maxBatchSize: 0, ready: false, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
  { name: 'decoupled', maxBatchSize: 0, decoupled: true, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
  { name: 'inspect', maxBatchSize: 0, instance: inspectInstance, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
  { name: 'hang', maxBatchSize: 0, instance: hangInstance, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
  { name: 'my model/x', maxBatchSize: 0, inputs: [{ name: 'IN', datatype: 'INT32', dims: [1] }], outputs: [{ name: 'OUT', datatype: 'INT32', dims: [1] }] },
];
