/**
 * One ONNX model version: auto-completes its config, validates the final config against the model
 * once, and starts one worker-backed instance per `instance_group` slot.
 */
import { basename } from 'node:path';
import { ServerError, type ExecutionInstance } from '../../core/index.js';
import type { ModelConfig } from '../../config/types.js';
import type { BackendInstanceContext, BackendModel, BackendModelContext } from '../contract.js';
import { autoCompleteConfig, DEFAULT_MAX_BATCH_SIZE, ioAlreadySpecified } from './auto-complete.js';
import { OnnxInstance } from './instance.js';
import { readModelMetadata, resolveModelFile } from './model-file.js';
import { sessionOptionsFor } from './session-options.js';
import type { SessionMetadata } from './types.js';
import { validateConfigAgainstModel } from './validate-config.js';
import { WorkerHost } from './worker-host.js';

export class OnnxModel implements BackendModel {
  readonly #ctx: BackendModelContext;
  readonly #name: string;
  #validated = false;
  /** The signature, read once on this thread (auto-complete or first instance), then reused. */
  #metadata: Promise<SessionMetadata> | undefined;

  constructor(ctx: BackendModelContext) {
    this.#ctx = ctx;
    this.#name = ctx.config.name ?? basename(ctx.modelDir);
  }

  async autoComplete(config: ModelConfig): Promise<ModelConfig> {
    if (ioAlreadySpecified(config)) {
      this.#ctx.log.info(`skipping model configuration auto-complete for '${this.#name}': inputs and outputs already specified`);
      return config;
    }
    const metadata = await this.#readMetadata(this.#name);
    return autoCompleteConfig(config, metadata, this.#name, this.#defaultMaxBatchSize());
  }

  async createInstance(ctx: BackendInstanceContext): Promise<ExecutionInstance> {
    const modelPath = resolveModelFile(this.#ctx.modelPath, ctx.spec.name);
    const options = sessionOptionsFor(ctx.config, this.#ctx.backendConfig);
    // Validate before starting any worker, so a bad config fails the load quickly.
    if (!this.#validated) {
      validateConfigAgainstModel(ctx.config, await this.#readMetadata(ctx.spec.name), ctx.spec.name);
      this.#validated = true;
    }
    const start = (): Promise<WorkerHost> => WorkerHost.start({ modelPath, options }, ctx.name);
    const host = await start();
    try {
      return new OnnxInstance({
        name: ctx.name, spec: ctx.spec, host, restart: start,
        batchInputs: ctx.config.batch_input ?? [], batchOutputs: ctx.config.batch_output ?? [],
      });
    } catch (err) {
      await host.terminate();
      throw err;
    }
  }

  async dispose(): Promise<void> {}

  #readMetadata(modelName: string): Promise<SessionMetadata> {
    this.#metadata ??= readModelMetadata(resolveModelFile(this.#ctx.modelPath, modelName));
    const pending = this.#metadata;
    pending.catch(() => {
      if (this.#metadata === pending) this.#metadata = undefined;
    });
    return pending;
  }

  #defaultMaxBatchSize(): number {
    const raw = this.#ctx.backendConfig['default-max-batch-size'];
    if (raw === undefined) return DEFAULT_MAX_BATCH_SIZE;
    const m = /^\s*[+-]?\d+/.exec(raw);
    if (m === null) throw ServerError.invalidArg(`failed to convert '${raw}' to integral number`);
    return Number.parseInt(m[0], 10);
  }
}
