/**
 * The `pytorch` backend (`platform: "pytorch_libtorch"`): runs a TorchScript `model.pt` with the torch of the
 * Python interpreter the python backend picks (`--backend-config=pytorch,python-interpreter=...`, INFERD_PYTHON,
 * else /usr/bin/python3). It is the python backend running inferd's own model code
 * (stub/inferd_pytorch_model.py) for the model, so one stub process per instance, the same framing and
 * shared-memory transfer, dynamic batching, restarts and BLS plumbing. The instance's kind and device id reach
 * that code through initialize() args: KIND_GPU runs on `cuda:<deviceId>`, anything else on the CPU.
 *
 * Triton's rules (naming conventions, parameters, List[str] strings, load-time errors) are in
 * stub/_inferd_torch_io.py and stub/inferd_pytorch_model.py. As Triton's, this backend does not auto-complete
 * inputs and outputs from the model. PyTorch 2 AOTInductor packages (`torch_aoti`, model.pt2) are refused.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ServerError } from '../../core/index.js';
import type { Backend, BackendModel } from '../contract.js';
import { stubDirectory } from '../python/interpreter.js';

/** The model code the python backend runs for every pytorch model. */
export const PYTORCH_MODEL_CODE = 'inferd_pytorch_model.py';

export const backend: Backend = {
  name: 'pytorch',
  async createModel(ctx): Promise<BackendModel> {
    const modelName = ctx.config.name || basename(ctx.modelDir);
    if ((ctx.config.platform ?? '') === 'torch_aoti') {
      throw ServerError.unsupported(
        `model '${modelName}': platform 'torch_aoti' (AOTInductor model.pt2) is not supported by inferd's pytorch backend; ` +
          "export a TorchScript model.pt (torch.jit.script / torch.jit.trace) with platform 'pytorch_libtorch'",
      );
    }
    if (!existsSync(ctx.modelPath)) {
      throw ServerError.invalidArg(`unable to find '${ctx.modelPath}' for model '${modelName}'`);
    }
    const { createPythonModel } = await import('../python/index.js');
    const inner = await createPythonModel({ ...ctx, modelPath: join(stubDirectory(), PYTORCH_MODEL_CODE) }, { kindLabel: 'PyTorch', pinGpu: true });
    return {
      // Triton's pytorch backend leaves the config as written (inputs and outputs must be given).
      autoComplete: (config) => {
        ctx.log.info(`skipping model configuration auto-complete for '${modelName}': not supported for pytorch backend`);
        return Promise.resolve(config);
      },
      createInstance: (instance) => inner.createInstance(instance),
      ...(inner.isReady === undefined ? {} : { isReady: () => inner.isReady!() }),
      dispose: () => inner.dispose(),
    };
  },
};

export default backend;
