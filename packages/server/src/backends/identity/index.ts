/**
 * The identity backend: output i is a copy of input i (by position in the config). The reference
 * backend for tests and for the backend contract; it also shows what a plug-in backend looks like.
 * As Triton's identity backend it honours `execute_delay_ms` (delay.ts) and answers zeros for an
 * optional input the request left out (zeros.ts).
 */
import { ServerError, type ExecutionInstance, type InferenceRequest, type Tensor, type TensorSpec } from '../../core/index.js';
import type { Backend, BackendInstanceContext, BackendModel } from '../contract.js';
import { instanceDelayMs, readExecuteDelay, sleepUnlessCancelled } from './delay.js';
import { zerosFor } from './zeros.js';

class IdentityInstance implements ExecutionInstance {
  readonly name: string;
  /** Output name -> the config input it copies. */
  readonly #pairs: ReadonlyMap<string, TensorSpec>;
  readonly #batching: boolean;
  readonly #delayMs: number;
  readonly #disposed = new AbortController();

  constructor(ctx: BackendInstanceContext, delayMs: number) {
    this.name = ctx.name;
    const pairs = new Map<string, TensorSpec>();
    ctx.spec.outputs.forEach((o, i) => {
      const input = ctx.spec.inputs[i];
      if (input !== undefined) pairs.set(o.name, input);
    });
    this.#pairs = pairs;
    this.#batching = ctx.spec.maxBatchSize > 0;
    this.#delayMs = delayMs;
  }

  async execute(requests: readonly InferenceRequest[]): Promise<void> {
    // No await without a delay: the batch is answered in the same tick, as before the knob existed.
    if (this.#delayMs > 0) await sleepUnlessCancelled(this.#delayMs, requests, this.#disposed.signal);
    for (const request of requests) {
      if (request.isCancelled) {
        request.respondError(ServerError.cancelled());
        continue;
      }
      try {
        request.respond({ outputs: this.#outputs(request) });
      } catch (err) {
        request.respondError(err);
      }
    }
  }

  #outputs(request: InferenceRequest): Tensor[] {
    const outputs: Tensor[] = [];
    for (const { name } of request.requestedOutputs) {
      const spec = this.#pairs.get(name);
      if (spec === undefined) continue;
      const source = request.input(spec.name);
      if (source !== undefined) {
        outputs.push({ name, datatype: source.datatype, shape: source.shape, data: source.data });
      } else if (spec.optional) {
        outputs.push(zerosFor(name, spec, request, this.#batching));
      } else {
        // Triton's identity backend answers a requested output whose input is absent this way.
        throw ServerError.unsupported(`failed to get input '${spec.name}'`);
      }
    }
    return outputs;
  }

  async dispose(): Promise<void> {
    this.#disposed.abort();
  }
}

export const backend: Backend = {
  name: 'identity',
  async createModel(ctx): Promise<BackendModel> {
    const model = ctx.config.name || ctx.modelDir.split(/[\\/]/).pop() || '';
    const delay = readExecuteDelay(model, ctx.config);
    // Triton numbers instances in creation order across the model's groups (the delay multiplier uses it).
    let created = 0;
    return {
      createInstance: async (instanceCtx) => new IdentityInstance(instanceCtx, instanceDelayMs(delay, created++)),
      dispose: async () => {},
    };
  },
};

export default backend;
