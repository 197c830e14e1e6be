/**
 * One ONNX Runtime model instance: a worker thread owning one InferenceSession. `execute` batches the
 * requests it is given, runs them in the worker and answers each request through its sink.
 */
import { ServerError, type ExecutionInstance, type InferenceRequest, type ModelSpec, type Tensor } from '../../core/index.js';
import { checkOrtStrings } from './bytes-check.js';
import { gatherFeeds, groupForRun, type InputPlan } from './gather-inputs.js';
import { splitOutputs, type OutputPlan } from './split-outputs.js';
import { ortTypeOf } from './types.js';
import type { WorkerHost } from './worker-host.js';

export interface OnnxInstanceOptions {
  readonly name: string;
  readonly spec: ModelSpec;
  /** The running worker. */
  readonly host: WorkerHost;
  /** Starts a replacement worker after a crash. */
  readonly restart: () => Promise<WorkerHost>;
}

export class OnnxInstance implements ExecutionInstance {
  readonly name: string;
  readonly #modelName: string;
  readonly #maxBatchSize: number;
  readonly #inputs: readonly InputPlan[];
  /** Optional config inputs that are not session inputs (overridable initializers): omit-only. */
  readonly #initializerInputs: ReadonlySet<string>;
  readonly #bytesInputs: ReadonlySet<string>;
  readonly #outputs: ReadonlyMap<string, OutputPlan>;
  readonly #restart: () => Promise<WorkerHost>;
  #host: WorkerHost | Promise<WorkerHost>;
  #disposed = false;
  readonly #running = new Set<Promise<void>>();

  constructor(options: OnnxInstanceOptions) {
    const { spec, host } = options;
    this.name = options.name;
    this.#modelName = spec.name;
    this.#maxBatchSize = spec.maxBatchSize;
    this.#host = host;
    this.#restart = options.restart;
    const sessionInputs = new Set(host.metadata.inputs.map((io) => io.name));
    const inputs: InputPlan[] = [];
    const initializers = new Set<string>();
    for (const s of spec.inputs) {
      const ortType = ortTypeOf(s.datatype);
      if (ortType === undefined) throw ServerError.unsupported(`unsupported datatype ${s.datatype} for input '${s.name}' for model '${spec.name}'`);
      if (!sessionInputs.has(s.name)) initializers.add(s.name);
      else inputs.push({ name: s.name, ortType, reshape: s.reshape });
    }
    this.#inputs = inputs;
    this.#initializerInputs = initializers;
    this.#bytesInputs = new Set(spec.inputs.filter((s) => s.datatype === 'BYTES').map((s) => s.name));
    this.#outputs = new Map(spec.outputs.map((s) => [s.name, { name: s.name, datatype: s.datatype, dims: s.dims, reshape: s.reshape }]));
  }

  async execute(requests: readonly InferenceRequest[]): Promise<void> {
    const running = this.#execute(requests);
    this.#running.add(running);
    try {
      await running;
    } finally {
      this.#running.delete(running);
    }
  }

  /** Waits for executions already started, then ends the worker (it releases its session). */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await Promise.allSettled([...this.#running]);
    const host = await Promise.resolve(this.#host).catch(() => undefined);
    await host?.terminate();
  }

  async #execute(requests: readonly InferenceRequest[]): Promise<void> {
    if (this.#disposed) {
      for (const r of requests) r.respondError(ServerError.unavailable(`onnxruntime instance '${this.name}' was unloaded`));
      return;
    }
    const runnable = requests.filter((r) => this.#admit(r));
    const batching = this.#maxBatchSize > 0;
    for (const group of groupForRun(runnable, this.#inputs, batching)) {
      try {
        await this.#runGroup(group, batching);
      } catch (err) {
        for (const r of group) r.respondError(err);
      }
    }
  }

  /** Per-request checks that must fail only that request, not its batch. */
  #admit(r: InferenceRequest): boolean {
    try {
      for (const t of r.inputs) {
        if (this.#initializerInputs.has(t.name)) {
          throw ServerError.unsupported(
            `input '${t.name}' for model '${this.#modelName}' is an initializer of the ONNX model; onnxruntime-node ` +
              'cannot override initializers, so this optional input can only be omitted',
          );
        }
        if (this.#bytesInputs.has(t.name)) checkOrtStrings(t.data, t.name, this.#modelName);
      }
      return true;
    } catch (err) {
      r.respondError(err);
      return false;
    }
  }

  async #runGroup(group: readonly InferenceRequest[], batching: boolean): Promise<void> {
    const total = group.reduce((n, r) => n + r.batchSize, 0);
    if (batching && total > this.#maxBatchSize) {
      throw ServerError.internal(`batch size ${total} for '${this.name}', max allowed is ${this.#maxBatchSize}`);
    }
    const host = await this.#liveHost();
    const fetches = new Set<string>();
    for (const r of group) for (const o of r.requestedOutputs) fetches.add(o.name);
    const { feeds, transfer } = gatherFeeds(group, this.#inputs, batching);
    for (const r of group) r.stamp('computeInputEnd');
    const wires = await host.run(feeds, [...fetches], transfer);
    for (const r of group) r.stamp('computeOutputStart');
    const split = splitOutputs(group, wires, this.#outputs, batching, this.#modelName);
    for (const r of group) {
      const mine = split.get(r)!;
      const outputs: Tensor[] = [];
      for (const o of r.requestedOutputs) {
        const t = mine.get(o.name);
        if (t !== undefined) outputs.push(t);
      }
      r.respond({ outputs });
    }
  }

  /** The worker, restarted once if it crashed since the last execution. */
  async #liveHost(): Promise<WorkerHost> {
    const current = await Promise.resolve(this.#host).catch(() => undefined);
    if (current?.alive === true) return current;
    const next = this.#restart();
    this.#host = next;
    return next;
  }
}
