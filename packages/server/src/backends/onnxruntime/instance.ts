/**
 * One ONNX Runtime model instance: a session on the shared worker pool (session-pool.ts), or the
 * model's main-thread session while the model runs inline (inline-policy.ts). `execute` batches the
 * requests it is given, runs them and answers each request through its sink.
 */
import { markReleasable, ServerError, reuseOwnedInputs, type ExecutionInstance, type InferenceRequest, type ModelSpec, type Tensor } from '../../core/index.js';
import type { BatchInput, BatchOutput } from '../../config/types.js';
import { batchInputFeeds } from './batch-inputs.js';
import { inlineTurn } from './inline-turn.js';
import { checkOrtStrings } from './bytes-check.js';
import { gatherFeeds, groupForRun, type InputPlan } from './gather-inputs.js';
import { splitOutputs, type OutputPlan } from './split-outputs.js';
import type { ModelPlacement } from './model-placement.js';
import type { PooledSession } from './session-pool.js';
import { ortTypeOf, type SessionMetadata, type WireTensor } from './types.js';

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
  /** The session's signature. */
  readonly metadata: SessionMetadata;
  /** This instance's session on the pool; absent for a model forced inline. */
  readonly session?: PooledSession;
  /** Where the model's runs go now (shared by its instances). */
  readonly placement: ModelPlacement;
  /** Config `batch_input`: tensors generated per execution and fed next to the request inputs. */
  readonly batchInputs?: readonly BatchInput[];
  /** Config `batch_output`: outputs scattered with the shape of a request input. */
  readonly batchOutputs?: readonly BatchOutput[];
}

const DONE: Promise<void> = Promise.resolve();

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
  readonly #session: PooledSession | undefined;
  readonly #placement: ModelPlacement;
  #disposed = false;
  /** Executions in progress; `dispose` waits for them (`#idle` is its wake-up). */
  #active = 0;
  #idle: (() => void) | undefined;
  #drained: Promise<void> | undefined;

  constructor(options: OnnxInstanceOptions) {
    const { spec } = options;
    this.name = options.name;
    this.#modelName = spec.name;
    this.#maxBatchSize = spec.maxBatchSize;
    this.#session = options.session;
    this.#placement = options.placement;
    const sessionInputs = new Map(options.metadata.inputs.map((io) => [io.name, io]));
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

  get runsOnEventLoop(): boolean {
    return this.#placement.inline !== undefined;
  }

  /**
   * Inline runs are answered before this returns (no promise hop); pool runs when their thread answers.
   */
  execute(requests: readonly InferenceRequest[]): Promise<void> {
    this.#active += 1;
    let pending: void | Promise<void>;
    try {
      pending = this.#execute(requests);
    } catch (err) {
      this.#finished();
      throw err;
    }
    if (pending === undefined) {
      this.#finished();
      return DONE;
    }
    return pending.finally(() => this.#finished());
  }

  /** Waits for executions already started, then frees the session in its thread. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    if (this.#active > 0) {
      this.#drained ??= new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
      await this.#drained;
    }
    await this.#session?.release();
  }

  #finished(): void {
    this.#active -= 1;
    if (this.#active === 0) this.#idle?.();
  }

  #execute(requests: readonly InferenceRequest[]): void | Promise<void> {
    if (this.#disposed) {
      for (const r of requests) r.respondError(ServerError.unavailable(`onnxruntime instance '${this.name}' was unloaded`));
      return;
    }
    const batching = this.#maxBatchSize > 0;
    // One request per execution is the common case (default scheduler): no grouping needed.
    if (requests.length === 1) {
      if (!this.#admit(requests[0]!)) return;
      return this.#runGroup(requests, batching);
    }
    const runnable = requests.filter((r) => this.#admit(r));
    return this.#runGroups(groupForRun(runnable, this.#inputs, batching), 0, batching);
  }

  /** Runs groups one after another from `from`. */
  #runGroups(groups: readonly InferenceRequest[][], from: number, batching: boolean): void | Promise<void> {
    for (let i = from; i < groups.length; i++) {
      const pending = this.#runGroup(groups[i]!, batching);
      if (pending !== undefined) return pending.then(() => this.#runGroups(groups, i + 1, batching));
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

  /** One run for `group`, inline or on the pool; every failure is answered to the group's requests. */
  #runGroup(group: readonly InferenceRequest[], batching: boolean): void | Promise<void> {
    try {
      let total = 0;
      for (const r of group) total += r.batchSize;
      if (batching && total > this.#maxBatchSize) {
        throw ServerError.internal(`batch size ${total} for '${this.name}', max allowed is ${this.#maxBatchSize}`);
      }
      const fetches = fetchNames(group);
      const inline = this.#placement.inline;
      const { feeds, transfer } = gatherFeeds(group, this.#inputs, batching, inline !== undefined);
      if (this.#batchInputs.length > 0) {
        for (const feed of batchInputFeeds(group, this.#batchInputs)) {
          feeds.push(feed);
          transfer.push(feed.data.buffer as ArrayBuffer);
        }
      }
      for (const r of group) r.stamp('computeInputEnd');
      if (inline !== undefined) {
        // The run is synchronous: now, in the turn its request arrived in, while this turn's budget lasts
        // (inline-turn.ts says why), else from a macrotask.
        // A demotion or unload in between (another instance's slow run) must not free the session under it.
        inline.retain();
        const runNow = (): void => {
          try {
            const { outputs, runUs } = inline.run(feeds, fetches);
            for (const r of group) r.stamp('computeOutputStart');
            this.#placement.afterInlineRun(runUs);
            this.#respond(group, outputs, batching);
            reuseOwnedInputs(group);
          } catch (err) {
            for (const r of group) r.respondError(err);
          } finally {
            inline.release();
          }
        };
        if (inlineTurn.take()) {
          runNow();
          return;
        }
        return new Promise<void>((resolve) => {
          setImmediate(() => {
            runNow();
            resolve();
          });
        });
      }
      const session = this.#session;
      if (session === undefined) throw ServerError.internal(`onnxruntime instance '${this.name}' has no session`);
      return session.run(feeds, fetches, transfer).then(({ outputs, runUs }) => {
        for (const r of group) r.stamp('computeOutputStart');
        this.#placement.afterPoolRun(runUs);
        this.#respond(group, outputs, batching);
      }).catch((err: unknown) => {
        for (const r of group) r.respondError(err);
      });
    } catch (err) {
      for (const r of group) r.respondError(err);
    }
  }

  #respond(group: readonly InferenceRequest[], wires: readonly WireTensor[], batching: boolean): void {
    // A run's outputs are fresh buffers (onnxruntime-node copies them out of ORT; pool results are moved
    // here): with one request they are its response's alone, for the frontend to free once written.
    if (group.length === 1) for (const w of wires) markReleasable(w.data.buffer);
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
}

