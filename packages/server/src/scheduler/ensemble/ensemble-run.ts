/**
 * One ensemble request in flight. Data-driven: a step starts as soon as every tensor it reads exists in
 * its lineage, so independent steps run concurrently. Members are called through the ModelInvoker like
 * any client request (their own schedulers, batching and statistics); tensors are handed on by
 * reference, renamed only. The first error (a member's, or cancellation) answers the request, aborts
 * the members still queued and stops every later step.
 */
import {
  nowNs, ServerError,
  type InferenceRequest, type ModelStats, type InferenceRequestInit, type InferenceResponse, type ModelInvoker, type Tensor,
} from '../../core/index.js';
import { readerShape } from './batch-dims.js';
import { Lineage } from './lineage.js';
import type { EnsemblePlan, PlanStep } from './plan.js';

/** An abort signal of our own per request: members are cancelled on the client's abort and on failure. */
class RunSignal {
  aborted = false;
  readonly #listeners = new Set<() => void>();

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#listeners.delete(listener);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const l of listeners) l();
  }
}

interface Pending {
  readonly step: PlanStep;
  readonly lineage: Lineage;
}

export class EnsembleRun {
  readonly #plan: EnsemblePlan;
  readonly #invoker: ModelInvoker;
  readonly #request: InferenceRequest;
  readonly #onSettled: (run: EnsembleRun) => void;
  readonly #signal = new RunSignal();
  readonly #root = new Lineage();
  /** Member requests sent and not finally answered, per step index. */
  readonly #running = new Map<number, number>();
  #runningTotal = 0;
  /** Steps ready but held back by `max_inflight_requests`. */
  readonly #waiting: Pending[] = [];
  #answered = false;
  #settled = false;
  /**
   * Re-entrancy depth: a member may answer synchronously (a cache hit) while we are still starting
   * other steps; the request settles only once the outermost call returns.
   */
  #depth = 0;
  /** Sum of member request durations (dispatch to final response): the ensemble's compute_infer. */
  #memberNs = 0;
  readonly #onClientAbort = (): void => this.#fail(ServerError.cancelled());

  readonly #stats: ModelStats;

  constructor(
    plan: EnsemblePlan, invoker: ModelInvoker, stats: ModelStats, request: InferenceRequest, onSettled: (run: EnsembleRun) => void,
  ) {
    this.#plan = plan;
    this.#invoker = invoker;
    this.#stats = stats;
    this.#request = request;
    this.#onSettled = onSettled;
  }

  /** Member compute time of this request so far (ns). */
  get memberNs(): number {
    return this.#memberNs;
  }

  start(): void {
    this.#depth += 1;
    const request = this.#request;
    request.signal?.addEventListener('abort', this.#onClientAbort, { once: true });
    request.stamp('computeStart');
    // Ensemble inputs carry the request's batch size when the ensemble batches (Triton: 0 otherwise).
    const inputBatch = this.#plan.batching ? request.batchSize : 0;
    for (const name of this.#plan.inputs) {
      const t = request.input(name);
      if (t === undefined) this.#root.absent.add(name);
      else {
        this.#root.own.set(name, t);
        this.#root.ownBatch.set(name, inputBatch);
      }
    }
    for (const name of this.#plan.inputs) this.#trigger(this.#root, name);
    this.#leave();
  }

  /** Starts every step reading `tensor` whose inputs now all exist in `lineage`. */
  #trigger(lineage: Lineage, tensor: string): void {
    for (const step of this.#plan.consumers.get(tensor) ?? []) {
      if (this.#answered) return;
      if (lineage.started.has(step.index) || !step.inputs.every((l) => lineage.has(l.tensor))) continue;
      lineage.started.add(step.index);
      const limit = this.#plan.maxInflight;
      if (limit > 0 && (this.#running.get(step.index) ?? 0) >= limit) this.#waiting.push({ step, lineage });
      else this.#dispatch(step, lineage);
    }
  }

  #dispatch(step: PlanStep, lineage: Lineage): void {
    const request = this.#request;
    // Cancellation is checked between steps: a cancelled request starts nothing more.
    if (request.isCancelled) {
      this.#fail(ServerError.cancelled());
      return;
    }
    const inputs: Tensor[] = [];
    for (const link of step.inputs) {
      const t = lineage.get(link.tensor);
      if (t === undefined) continue;
      // The batch dim is added or removed between batching and non-batching models (batch-dims.ts).
      const dims = step.inputDims.get(link.member) ?? t.shape;
      const shape = readerShape(dims, step.batching, lineage.batchOf(link.tensor), t.shape);
      inputs.push(t.name === link.member && shape === t.shape ? t : { ...t, name: link.member, shape });
    }
    // The step request's batch size, which its outputs carry on (Triton's request BatchSize()).
    const batch = step.batching ? inputs[0]?.shape[0] ?? 0 : 0;
    const init: InferenceRequestInit = {
      modelName: step.modelName,
      ...(step.modelVersion === undefined ? {} : { modelVersion: step.modelVersion }),
      id: request.id,
      inputs,
      outputs: step.outputs.map((l) => ({ name: l.member })),
      parameters: request.parameters,
      priority: request.priority,
      timeoutUs: request.timeoutUs,
      correlationId: request.correlationId,
      flags: request.flags,
      signal: this.#signal,
    };
    this.#running.set(step.index, (this.#running.get(step.index) ?? 0) + 1);
    this.#runningTotal += 1;
    const started = nowNs();
    try {
      this.#invoker.inferStream(init, (r) => this.#onResponse(step, lineage, batch, started, r));
    } catch (err) {
      // Refused before it was queued (validation, model not ready): no response will come.
      this.#stepDone(step, started);
      this.#fail(err);
    }
  }

  #onResponse(step: PlanStep, lineage: Lineage, batch: number, started: number, r: InferenceResponse): void {
    this.#depth += 1;
    if (r.error !== undefined) this.#fail(r.error);
    else if (!this.#answered && r.outputs.length > 0) this.#accept(step, lineage, batch, r.outputs);
    if (r.final) {
      this.#stepDone(step, started);
      const next = this.#waiting.findIndex((p) => p.step.index === step.index);
      if (next >= 0 && !this.#answered) {
        const [pending] = this.#waiting.splice(next, 1);
        this.#dispatch(pending!.step, pending!.lineage);
      }
    }
    this.#leave();
  }

  #leave(): void {
    this.#depth -= 1;
    if (this.#depth === 0) this.#settleIfIdle();
  }

  #stepDone(step: PlanStep, started: number): void {
    this.#memberNs += nowNs() - started;
    this.#running.set(step.index, this.#running.get(step.index)! - 1);
    this.#runningTotal -= 1;
  }

  /** Stores a member's outputs under their ensemble names (unmapped ones are dropped), then fires. */
  #accept(step: PlanStep, lineage: Lineage, batch: number, outputs: readonly Tensor[]): void {
    const target = step.decoupled ? new Lineage(lineage) : lineage;
    const produced: string[] = [];
    for (const t of outputs) {
      const link = step.outputs.find((l) => l.member === t.name);
      if (link === undefined) continue;
      target.own.set(link.tensor, t.name === link.tensor ? t : { ...t, name: link.tensor });
      target.ownBatch.set(link.tensor, batch);
      produced.push(link.tensor);
    }
    for (const tensor of produced) this.#trigger(target, tensor);
    if (this.#plan.decoupled) this.#emitIfComplete(target);
  }

  /** Decoupled ensembles answer (non-final) each time a lineage completes the requested outputs. */
  #emitIfComplete(lineage: Lineage): void {
    if (this.#answered || lineage.emitted) return;
    const wanted = this.#request.requestedOutputs;
    if (!wanted.every((o) => lineage.get(o.name) !== undefined)) return;
    // Outputs all inherited from a parent were already sent when the parent completed them.
    if (!wanted.some((o) => lineage.own.has(o.name))) return;
    lineage.emitted = true;
    this.#request.respond({ outputs: wanted.map((o) => this.#ensembleOutput(lineage, o.name)!) }, false);
  }

  #settleIfIdle(): void {
    if (this.#settled || this.#runningTotal > 0) return;
    if (this.#waiting.length > 0 && !this.#answered) {
      const pending = this.#waiting.shift()!;
      this.#dispatch(pending.step, pending.lineage);
      return;
    }
    if (!this.#answered) this.#finish();
    this.#settled = true;
    this.#request.signal?.removeEventListener('abort', this.#onClientAbort);
    this.#onSettled(this);
  }

  /** Every step has finished: the final response. */
  #finish(): void {
    this.#answered = true;
    this.#stampCompute();
    const request = this.#request;
    if (this.#plan.decoupled) {
      this.#recordExecution();
      request.respond({}, true);
      return;
    }
    const outputs: Tensor[] = [];
    for (const o of request.requestedOutputs) {
      const t = this.#ensembleOutput(this.#root, o.name);
      if (t === undefined) {
        request.respondError(ServerError.internal(`in ensemble ${this.#plan.name}, output '${o.name}' was not produced`));
        return;
      }
      outputs.push(t);
    }
    this.#recordExecution();
    request.respond({ outputs }, true);
  }

  /** An ensemble output as the client gets it: the batch dim adjusted to the ensemble's own batching. */
  #ensembleOutput(lineage: Lineage, name: string): Tensor | undefined {
    const t = lineage.get(name);
    if (t === undefined) return undefined;
    const dims = this.#plan.outputDims.get(name) ?? t.shape;
    const shape = readerShape(dims, this.#plan.batching, lineage.batchOf(name), t.shape);
    return shape === t.shape ? t : { ...t, shape };
  }

  /** batch_stats of an ensemble: one entry per request, by its batch size, compute = member time. */
  #recordExecution(): void {
    this.#stats.recordExecution(this.#request.batchSize, 0, this.#memberNs, 0);
  }

  /**
   * The ensemble's compute_infer is the sum of its members' request times (spec §11): the timestamps
   * the server turns into statistics are set so that input and output take no time of their own.
   */
  #stampCompute(): void {
    const t = this.#request.timestamps;
    t.computeInputEnd = t.computeStart;
    t.computeOutputStart = t.computeStart + this.#memberNs;
    t.computeEnd = t.computeOutputStart;
  }

  #fail(err: unknown): void {
    if (this.#answered) return;
    this.#answered = true;
    this.#waiting.length = 0;
    this.#signal.abort();
    this.#request.respondError(err);
  }
}
