/**
 * One ONNX model version: auto-completes its config, validates the final config against the model
 * once, and creates one session on the shared worker pool per `instance_group` slot (none when the
 * model is forced inline). Its signature is read on a pool thread too, so loading a repository never
 * blocks the main thread on model files.
 */
import { basename } from 'node:path';
import { ServerError, type ExecutionInstance } from '../../core/index.js';
import type { ModelConfig } from '../../config/types.js';
import type { BackendInstanceContext, BackendModel, BackendModelContext } from '../contract.js';
import { autoCompleteConfig, DEFAULT_MAX_BATCH_SIZE, ioAlreadySpecified } from './auto-complete.js';
import { executionModeOf } from './inline-policy.js';
import { OnnxInstance } from './instance.js';
import { resolveModelFile } from './model-file.js';
import { ModelPlacement } from './model-placement.js';
import { sharedSessionPool, type PooledSession, type SessionPool } from './session-pool.js';
import { sessionOptionsFor } from './session-options.js';
import type { SessionMetadata } from './types.js';
import { validateConfigAgainstModel } from './validate-config.js';

export class OnnxModel implements BackendModel {
  readonly #ctx: BackendModelContext;
  readonly #name: string;
  readonly #pool: SessionPool;
  /** Shared by the model's instances: created with the first one. */
  #placement: ModelPlacement | undefined;
  #validated = false;
  /** The signature, read once on this thread (auto-complete or first instance), then reused. */
  #metadata: Promise<SessionMetadata> | undefined;

  constructor(ctx: BackendModelContext) {
    this.#ctx = ctx;
    this.#name = ctx.config.name ?? basename(ctx.modelDir);
    this.#pool = sharedSessionPool(ctx.backendConfig);
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
    const mode = executionModeOf(ctx.config);
    // Validate before creating any session, so a bad config fails the load quickly.
    const metadata = await this.#readMetadata(ctx.spec.name);
    if (!this.#validated) {
      validateConfigAgainstModel(ctx.config, metadata, ctx.spec.name);
      this.#validated = true;
    }
    const placement = (this.#placement ??= new ModelPlacement(mode, modelPath, options, ctx.spec.name, this.#ctx.log));
    let session: PooledSession | undefined;
    if (mode === 'inline') placement.openForcedInline();
    else session = await this.#pool.open(modelPath, options, ctx.name, this.#ctx.versionDir);
    try {
      return new OnnxInstance({
        name: ctx.name, spec: ctx.spec, metadata: session?.metadata ?? metadata, placement,
        ...(session === undefined ? {} : { session }),
        batchInputs: ctx.config.batch_input ?? [], batchOutputs: ctx.config.batch_output ?? [],
      });
    } catch (err) {
      await session?.release();
      throw err;
    }
  }

  async dispose(): Promise<void> {
    this.#placement?.dispose();
  }

  #readMetadata(modelName: string): Promise<SessionMetadata> {
    this.#metadata ??= this.#pool.metadata(resolveModelFile(this.#ctx.modelPath, modelName), modelName);
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
