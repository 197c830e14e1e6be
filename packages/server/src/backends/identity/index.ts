/**
 * The identity backend: output i is a copy of input i (by position in the config). The reference
 * backend for tests and for the backend contract; it also shows what a plug-in backend looks like.
 */
import type { ExecutionInstance, InferenceRequest, Tensor } from '../../core/index.js';
import type { Backend, BackendInstanceContext, BackendModel } from '../contract.js';

class IdentityInstance implements ExecutionInstance {
  readonly name: string;
  readonly #pairs: ReadonlyMap<string, string>;

  constructor(ctx: BackendInstanceContext) {
    this.name = ctx.name;
    const pairs = new Map<string, string>();
    ctx.spec.outputs.forEach((o, i) => {
      const input = ctx.spec.inputs[i];
      if (input !== undefined) pairs.set(o.name, input.name);
    });
    this.#pairs = pairs;
  }

  async execute(requests: readonly InferenceRequest[]): Promise<void> {
    for (const request of requests) {
      const outputs: Tensor[] = [];
      for (const { name } of request.requestedOutputs) {
        const source = request.input(this.#pairs.get(name) ?? '');
        if (source === undefined) continue;
        outputs.push({ name, datatype: source.datatype, shape: source.shape, data: source.data });
      }
      request.respond({ outputs });
    }
  }

  async dispose(): Promise<void> {}
}

export const backend: Backend = {
  name: 'identity',
  async createModel(): Promise<BackendModel> {
    return {
      createInstance: async (ctx) => new IdentityInstance(ctx),
      dispose: async () => {},
    };
  },
};

export default backend;
