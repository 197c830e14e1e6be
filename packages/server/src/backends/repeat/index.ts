/**
 * The `repeat` backend: a decoupled example modelled on Triton's repeat backend. For each element of
 * IN it sends one response (OUT = element, IDX = its index) after DELAY[i] ms, then a flag-only final
 * response. It proves the 0..N-responses path (inferStream, gRPC ModelStreamInfer, HTTP
 * generate_stream) without Python.
 */
import type { Backend, BackendModel } from '../contract.js';
import { RepeatInstance } from './instance.js';
import { validateRepeatConfig } from './validate-config.js';

export const backend: Backend = {
  name: 'repeat',
  async createModel(ctx): Promise<BackendModel> {
    validateRepeatConfig(ctx.config.name || ctx.modelDir.split(/[\\/]/).pop() || '', ctx.config);
    const instances: RepeatInstance[] = [];
    return {
      createInstance: async (instanceCtx) => {
        const instance = new RepeatInstance(instanceCtx.name);
        instances.push(instance);
        return instance;
      },
      dispose: async () => {
        await Promise.all(instances.map((i) => i.dispose()));
      },
    };
  },
};

export default backend;
