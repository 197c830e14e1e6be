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
 * killed); Triton's shm and thread-pool keys are accepted as no-ops (`backend-config.ts`). A model's config
 * parameter `EXECUTION_ENV_PATH` picks its own environment (see `execution-env.ts`).
 *
 * `pb_utils.MetricFamily` values are kept by the server and shown on /metrics (`custom-metrics.ts`).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ServerError } from '../../core/index.js';
import type { Backend, BackendInstanceContext, BackendModel, BackendModelContext } from '../contract.js';
import { pythonAutoComplete } from './auto-complete.js';
import { pythonSettings } from './backend-config.js';
import { executionEnv } from './execution-env.js';
import { checkForceCpuInputs } from './force-cpu-inputs.js';
import { PythonMetricStore } from './custom-metrics.js';
import { PythonInstance } from './instance.js';
import { pythonInterpreter, stubDirectory } from './interpreter.js';

const KIND: Record<BackendInstanceContext['kind'], string> = {
  KIND_CPU: 'CPU', KIND_GPU: 'GPU', KIND_MODEL: 'MODEL', KIND_AUTO: 'CPU',
};

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

/** How a backend built on this one (pytorch) runs its own model code through the python backend. */
export interface PythonModelOptions {
  /** The instance kind named in initialize errors (default "Python"). */
  readonly kindLabel?: string;
  /** Pin each GPU instance's stub to its GPU whatever `pin-gpu` says (the backend's own code expects it). */
  readonly pinGpu?: boolean;
}

export const backend: Backend = {
  name: 'python',
  createModel: (ctx) => createPythonModel(ctx),
};

/** A python-backend model for `ctx` (`ctx.modelPath` is the model.py the stubs run). */
export async function createPythonModel(ctx: BackendModelContext, options: PythonModelOptions = {}): Promise<BackendModel> {
  const modelName = ctx.config.name || basename(ctx.modelDir);
  if (!existsSync(ctx.modelPath)) {
    throw ServerError.invalidArg(`failed to load model '${modelName}': unable to find '${ctx.modelPath}'`);
  }
  checkForceCpuInputs(ctx.config, ctx.log);
  // A model's own environment (EXECUTION_ENV_PATH) wins over the server-wide interpreter setting.
  const modelEnv = await executionEnv(ctx.config, ctx.modelDir, modelName);
  const interpreter = modelEnv?.interpreter ?? pythonInterpreter(ctx.backendConfig);
  const env = modelEnv?.env;
  const settings = pythonSettings(ctx.backendConfig, ctx.log);
  const timeoutMs = settings.stubTimeoutMs;
  const pinGpu = options.pinGpu ?? settings.pinGpu;
  const stubDir = stubDirectory();
  const instances: PythonInstance[] = [];
  return {
    autoComplete: (config) => pythonAutoComplete(config, {
      modelName, interpreter, ...(env === undefined ? {} : { env }), stubDir, modelPath: ctx.modelPath, log: ctx.log,
    }),
    createInstance: async (instanceCtx) => {
      const metrics = ctx.metrics === undefined ? undefined : PythonMetricStore.of(ctx.metrics).owner();
      // A pinned GPU instance's stub sees only its GPU (by UUID: right whatever the server's own mask), so
      // torch's `cuda` / `cuda:0` there is the instance's device. `model_instance_device_id` keeps
      // Triton's value (the id among the server's GPUs).
      const stubEnv = !pinGpu || instanceCtx.gpuUuid === undefined ? env : { ...env, CUDA_VISIBLE_DEVICES: instanceCtx.gpuUuid };
      const instance = await PythonInstance.start({
        name: instanceCtx.name,
        modelName: instanceCtx.spec.name,
        interpreter,
        ...(stubEnv === undefined ? {} : { env: stubEnv }),
        stubDir,
        modelPath: ctx.modelPath,
        decoupled: instanceCtx.spec.decoupled,
        args: initializeArgs(ctx, instanceCtx),
        stubTimeoutMs: timeoutMs,
        log: ctx.log,
        ...(options.kindLabel === undefined ? {} : { kindLabel: options.kindLabel }),
        invoker: ctx.invoker,
        ...(metrics === undefined ? {} : { metrics }),
      }).catch((err: unknown) => {
        metrics?.close();
        throw err;
      });
      instances.push(instance);
      return instance;
    },
    isReady: async () => (await Promise.all(instances.map((i) => i.isReady()))).every(Boolean),
    dispose: async () => {
      await Promise.all(instances.map((i) => i.dispose()));
    },
  };
}

export default backend;
