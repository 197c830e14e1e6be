/**
 * One ONNX Runtime model instance: a worker thread owning one InferenceSession. `execute` batches the
 * requests it is given, runs them in the worker and answers each request through its sink.
 */
import { ServerError, type ExecutionInstance, type InferenceRequest, type ModelSpec, type Tensor } from '../../core/index.js';
import type { BatchInput, BatchOutput } from '../../config/types.js';
import { batchInputFeeds } from './batch-inputs.js';
import { checkOrtStrings } from './bytes-check.js';
import { gatherFeeds, groupForRun, type InputPlan } from './gather-inputs.js';
import { splitOutputs, type OutputPlan } from './split-outputs.js';
import { ortTypeOf } from './types.js';
import type { WorkerHost } from './worker-host.js';

/** The outputs to fetch: every output some request of the group asked for, in first-asked order. */
function fetchNames(group: readonly InferenceRequest[]): string[] {
  if (group.length === 1) return group[0]!.requestedOutputs.map((o) => o.name);
  const fetches = new Set<string>();
  for (const r of group) for (const o of r.requestedOutputs) fetches.add(o.name);
  return [...fetches];
}

export interface OnnxInstanceOptions {
  readonly name: string;
  readonly spec: ModelSpec;
  /** The running worker. */
  readonly host: WorkerHost;
  /** Starts a replacement worker after a crash. */
  readonly restart: () => Promise<WorkerHost>;
  /** Config `batch_input`: tensors generated per execution and fed next to the request inputs. */
  readonly batchInputs?: readonly BatchInput[];
  /** Config `batch_output`: outputs scattered with the shape of a request input. */
  readonly batchOutputs?: readonly BatchOutput[];
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
  readonly #batchInputs: readonly BatchInput[];
  readonly #restart: () => Promise<WorkerHost>;
  #host: WorkerHost | Promise<WorkerHost>;
  #disposed = false;
  /** Executions in progress; `dispose` waits for them (`#idle` is its wake-up). */
  #active = 0;
  #idle: (() => void) | undefined;
  #drained: Promise<void> | undefined;

  constructor(options: OnnxInstanceOptions) {
    const { spec, host } = options;
    this.name = options.name;
    this.#modelName = spec.name;
    this.#maxBatchSize = spec.maxBatchSize;
    this.#host = host;
    this.#restart = options.restart;
    const sessionInputs = new Map(host.metadata.inputs.map((io) => [io.name, io]));
    const inputs: InputPlan[] = [];
    const initializers = new Set<string>();
    // Sequence control and implicit-state inputs (injected by the sequence batcher) are fed like config
    // inputs; load-time validation has already checked that the session has each of them.
    const allInputs = [...spec.inputs, ...spec.internalInputs];
    for (const s of allInputs) {
      const ortType = ortTypeOf(s.datatype);
      if (ortType === undefined) throw ServerError.unsupported(`unsupported datatype ${s.datatype} for input '${s.name}' for model '${spec.name}'`);
      if (!sessionInputs.has(s.name)) initializers.add(s.name);
      else {
        const scalar = spec.maxBatchSize === 0 && s.reshape === undefined && sessionInputs.get(s.name)!.dims.length === 0;
        inputs.push({
          name: s.name, ortType, reshape: s.reshape, ...(scalar ? { scalar } : {}), ...(s.allowRaggedBatch ? { ragged: true } : {}),
        });
      }
    }
    this.#inputs = inputs;
    this.#initializerInputs = initializers;
    this.#bytesInputs = new Set(allInputs.filter((s) => s.datatype === 'BYTES').map((s) => s.name));
    this.#batchInputs = options.batchInputs ?? [];
    const scatter = new Map<string, string>();
    for (const bo of options.batchOutputs ?? []) for (const t of bo.target_name ?? []) scatter.set(t, bo.source_input?.[0] ?? '');
    // Implicit-state outputs are fetched and split like config outputs whenever a request names them.
    this.#outputs = new Map([...spec.outputs, ...spec.internalOutputs].map((s) => {
      const source = scatter.get(s.name);
      const shape = [...(spec.maxBatchSize > 0 ? [-1] : []), ...(s.reshape ?? s.dims)];
      return [s.name, {
        name: s.name, datatype: s.datatype, dims: s.dims, reshape: s.reshape,
        ...(source === undefined ? {} : { scatter: { source, shape } }),
      }];
    }));
  }

  async execute(requests: readonly InferenceRequest[]): Promise<void> {
    this.#active += 1;
    try {
      await this.#execute(requests);
    } finally {
      this.#active -= 1;
      if (this.#active === 0) this.#idle?.();
    }
  }

  /** Waits for executions already started, then ends the worker (it releases its session). */
  async dispose(): Promise<void> {
    this.#disposed = true;
    if (this.#active > 0) {
      this.#drained ??= new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
      await this.#drained;
    }
    const host = await Promise.resolve(this.#host).catch(() => undefined);
    await host?.terminate();
  }

  async #execute(requests: readonly InferenceRequest[]): Promise<void> {
    if (this.#disposed) {
      for (const r of requests) r.respondError(ServerError.unavailable(`onnxruntime instance '${this.name}' was unloaded`));
      return;
    }
    const batching = this.#maxBatchSize > 0;
    // One request per execution is the common case (default scheduler): no grouping needed.
    if (requests.length === 1) {
      const only = requests[0]!;
      if (!this.#admit(only)) return;
      try {
        await this.#runGroup(requests, batching);
      } catch (err) {
        only.respondError(err);
      }
      return;
    }
    const runnable = requests.filter((r) => this.#admit(r));
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
    let total = 0;
    for (const r of group) total += r.batchSize;
    if (batching && total > this.#maxBatchSize) {
      throw ServerError.internal(`batch size ${total} for '${this.name}', max allowed is ${this.#maxBatchSize}`);
    }
    const host = this.#readyHost() ?? (await this.#liveHost());
    const fetches = fetchNames(group);
    const { feeds, transfer } = gatherFeeds(group, this.#inputs, batching);
    if (this.#batchInputs.length > 0) {
      for (const feed of batchInputFeeds(group, this.#batchInputs)) {
        feeds.push(feed);
        transfer.push(feed.data.buffer as ArrayBuffer);
      }
    }
    for (const r of group) r.stamp('computeInputEnd');
    const wires = await host.run(feeds, fetches, transfer);
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

  /** The running worker when it is alive (no promise hop on the hot path). */
  #readyHost(): WorkerHost | undefined {
    const host = this.#host;
    return !(host instanceof Promise) && host.alive ? host : undefined;
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
