/**
 * The `python` backend: runs Triton `model.py` files unchanged. Each model instance is a stub process
 * (`stub/inferd_stub.py`) with inferd's own `triton_python_backend_utils` on its path; see
 * `instance.ts` for the execution protocol and `interpreter.ts` for which Python runs it. BLS
 * (`InferenceRequest(...).exec()`) and `pb_utils.load_model` / `unload_model` / `is_model_ready` run
 * through the server's `ModelInvoker` (`bls.ts`); load/unload answer as the repository API does (refused
 * unless the server runs in explicit model control mode).
 *
 * `--backend-config=python,<key>=<value>`: `python-interpreter` (path of the interpreter; env
 * `INFERD_PYTHON` otherwise), `stub-timeout-seconds` (default 30: how long a health check may go
 * unanswered, finalize may take, and an unload waits for streaming responses, before the stub is
 * killed). A model's config
 * parameter `EXECUTION_ENV_PATH` picks its own environment (see `execution-env.ts`).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ServerError } from '../../core/index.js';
import type { Backend, BackendInstanceContext, BackendModel, BackendModelContext } from '../contract.js';
import { pythonAutoComplete } from './auto-complete.js';
import { executionEnv } from './execution-env.js';
import { PythonInstance } from './instance.js';
import { pythonInterpreter, stubDirectory } from './interpreter.js';

const KIND: Record<BackendInstanceContext['kind'], string> = {
  KIND_CPU: 'CPU', KIND_GPU: 'GPU', KIND_MODEL: 'MODEL', KIND_AUTO: 'CPU',
};

function stubTimeoutMs(settings: Readonly<Record<string, string>>): number {
  const raw = settings['stub-timeout-seconds'];
  if (raw === undefined || raw === '') return 30_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw ServerError.invalidArg(`python backend: stub-timeout-seconds must be a positive number, got '${raw}'`);
  }
  return seconds * 1000;
}

/** `initialize(args)` of spec §10: every value a string. */
function initializeArgs(ctx: BackendModelContext, instance: BackendInstanceContext): Record<string, string> {
  return {
    model_config: JSON.stringify(instance.spec.configJson),
    model_instance_kind: KIND[instance.kind],
    model_instance_name: instance.name,
    model_instance_device_id: String(instance.deviceId),
    model_repository: ctx.modelDir,
    model_version: String(ctx.version),
    model_name: instance.spec.name,
  };
}

export const backend: Backend = {
  name: 'python',
  async createModel(ctx): Promise<BackendModel> {
    const modelName = ctx.config.name || basename(ctx.modelDir);
    if (!existsSync(ctx.modelPath)) {
      throw ServerError.invalidArg(`failed to load model '${modelName}': unable to find '${ctx.modelPath}'`);
    }
    // A model's own environment (EXECUTION_ENV_PATH) wins over the server-wide interpreter setting.
    const modelEnv = await executionEnv(ctx.config, ctx.modelDir, modelName);
    const interpreter = modelEnv?.interpreter ?? pythonInterpreter(ctx.backendConfig);
    const env = modelEnv?.env;
    const timeoutMs = stubTimeoutMs(ctx.backendConfig);
    const stubDir = stubDirectory();
    const instances: PythonInstance[] = [];
    return {
      autoComplete: (config) => pythonAutoComplete(config, {
        modelName, interpreter, ...(env === undefined ? {} : { env }), stubDir, modelPath: ctx.modelPath, log: ctx.log,
      }),
      createInstance: async (instanceCtx) => {
        const instance = await PythonInstance.start({
          name: instanceCtx.name,
          modelName: instanceCtx.spec.name,
          interpreter,
          ...(env === undefined ? {} : { env }),
          stubDir,
          modelPath: ctx.modelPath,
          decoupled: instanceCtx.spec.decoupled,
          args: initializeArgs(ctx, instanceCtx),
          stubTimeoutMs: timeoutMs,
          log: ctx.log,
          invoker: ctx.invoker,
        });
        instances.push(instance);
        return instance;
      },
      isReady: async () => (await Promise.all(instances.map((i) => i.isReady()))).every(Boolean),
      dispose: async () => {
        await Promise.all(instances.map((i) => i.dispose()));
      },
    };
  },
};

export default backend;
