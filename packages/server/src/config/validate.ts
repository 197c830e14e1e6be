/**
 * Triton's load-time validation (model repository name check, ValidateModelConfig, ValidateInstanceGroup,
 * ValidateModelIOConfig) with Triton's messages. Run on the normalized config. Ensemble data-flow checks
 * (steps wiring) belong to the ensemble issue; only the shape of ensemble configs is checked here.
 */
import { ConfigError } from './errors.js';
import { platformInfo } from './platform.js';
import type { ModelConfig } from './types.js';
import { validateEnsembleScheduling } from './validate-ensemble.js';
import { validateIo } from './validate-io.js';
import { validateSequenceBatching } from './validate-sequence.js';

/** Backends whose platform Triton cross-checks (GetBackendType); others accept any platform. */
const TYPED_BACKENDS = new Set(['tensorflow', 'tensorrt', 'onnxruntime', 'pytorch']);

function checkIdentity(config: ModelConfig, modelName: string): void {
  const name = config.name ?? '';
  if (name === '') throw new ConfigError("model configuration must specify 'name'");
  if (name !== modelName) {
    throw new ConfigError(
      `unexpected directory name '${modelName}' for model '${name}', directory name must equal model name`,
    );
  }
  const platform = config.platform ?? '';
  const backend = config.backend ?? '';
  if (backend === '' && platform !== 'ensemble') throw new ConfigError(`unexpected platform type '${platform}' for ${name}`);
  if (backend !== '' && platform === 'ensemble') {
    throw new ConfigError(`Ensemble model '${name}' must have platform type '${platform}' and empty backend type`);
  }
  if (TYPED_BACKENDS.has(backend) && platformInfo(platform)?.backend !== backend) {
    throw new ConfigError(`unexpected 'platform' and 'backend' pair, got:${platform}, ${backend}`);
  }
  if ((config.max_batch_size ?? 0) < 0) throw new ConfigError(`'max_batch_size' must be non-negative value for ${name}`);
  if (config.version_policy === undefined) throw new ConfigError(`must specify 'version policy' for ${name}`);
}

function checkDynamicBatching(config: ModelConfig): void {
  const db = config.dynamic_batching;
  if (db === undefined) return;
  const name = config.name ?? '';
  for (const size of db.preferred_batch_size ?? []) {
    if (size <= 0) throw new ConfigError(`dynamic batching preferred size must be positive for ${name}`);
    if (size > (config.max_batch_size ?? 0)) {
      throw new ConfigError(`dynamic batching preferred size must be <= max batch size for ${name}`);
    }
  }
  const levels = db.priority_levels ?? 0;
  if (levels !== 0) {
    const def = db.default_priority_level ?? 0;
    if (def === 0 || def > levels) throw new ConfigError(`default priority level must be in range [1, ${levels}] for ${name}`);
    for (const key of Object.keys(db.priority_queue_policy ?? {})) {
      const level = Number(key);
      if (level === 0 || level > levels) {
        throw new ConfigError(`priority queue policy must have priority level in range [1, ${levels}] for ${name}`);
      }
    }
  }
  if (db.preserve_ordering) {
    if (levels > 1) throw new ConfigError(`Only one priority level is allowed when 'preserve_ordering' is true for ${name}`);
    const policies = [db.default_queue_policy ?? {}, ...Object.values(db.priority_queue_policy ?? {})];
    if (policies.some((p) => (p.default_timeout_microseconds ?? 0) !== 0 && p.timeout_action === 'DELAY')) {
      throw new ConfigError(`Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for ${name}`);
    }
  }
}

function checkEnsemble(config: ModelConfig): void {
  const name = config.name ?? '';
  if (config.ensemble_scheduling === undefined) {
    if (config.platform === 'ensemble') {
      throw new ConfigError(`ensemble scheduling must be set for ensemble ${name} whose platform is ensemble`);
    }
    return;
  }
  if (config.platform !== 'ensemble') {
    throw new ConfigError(`ensemble scheduling cannot be set for model '${name}' whose platform is not ensemble`);
  }
  if ((config.instance_group ?? []).length > 0) {
    throw new ConfigError(`instance group should not be specified for ensemble '${name}'`);
  }
  if (config.optimization !== undefined) throw new ConfigError(`optimization should not be specified for ensemble '${name}'`);
  if ((config.model_warmup ?? []).length > 0) throw new ConfigError(`model_warmup can not be specified for ensemble '${name}'`);
  const steps = config.ensemble_scheduling.step ?? [];
  if (steps.length === 0) throw new ConfigError(`must specify 'step' for ensemble '${name}'`);
  steps.forEach((step, i) => {
    for (const [field, empty] of [
      ['model_name', !step.model_name],
      ['input_map', Object.keys(step.input_map ?? {}).length === 0],
      ['output_map', Object.keys(step.output_map ?? {}).length === 0],
    ] as const) {
      if (empty) throw new ConfigError(`must specify '${field}' in step ${i} of ensemble '${name}'`);
    }
  });
  // Data flow of the steps (config alone); checks against the members run once they are loaded.
  validateEnsembleScheduling(config);
}

function checkMetrics(config: ModelConfig): void {
  for (const control of config.model_metrics?.metric_control ?? []) {
    if (control.metric_identifier === undefined) throw new ConfigError("metric control must specify 'metric_identifier'");
    if (!control.metric_identifier.family) throw new ConfigError("metric identifier must specify non-empty 'family'");
    if (control.histogram_options === undefined) throw new ConfigError("metric control must specify 'histogram_options'");
    if ((control.histogram_options.buckets ?? []).length === 0) {
      throw new ConfigError("histogram options must specify non-empty 'buckets'");
    }
  }
}

/** What instance groups are checked against: Triton's supported GPUs and its minimum compute capability. */
export interface GpuCheck {
  /** CUDA ids of the GPUs at or above the minimum compute capability. */
  readonly supported: readonly number[];
  readonly minComputeCapability: number;
}

/** `gpuCheck` absent: the config alone is checked (listed ids are taken as they are). */
function checkInstanceGroups(config: ModelConfig, gpuCheck: GpuCheck | undefined): void {
  if (config.ensemble_scheduling !== undefined) return;
  const name = config.name ?? '';
  const groups = config.instance_group ?? [];
  if (groups.length === 0) throw new ConfigError(`must specify one or more 'instance group's for ${name}`);
  for (const g of groups) {
    const at = `instance group ${g.name ?? ''} of model ${name}`;
    const gpus = g.gpus ?? [];
    const kind = g.kind ?? 'KIND_AUTO';
    if (kind === 'KIND_AUTO') throw new ConfigError(`${at} has unexpected kind KIND_AUTO`);
    if ((kind === 'KIND_MODEL' || kind === 'KIND_CPU') && gpus.length > 0) {
      throw new ConfigError(`${at} has kind ${kind} but specifies one or more GPUs`);
    }
    // normalizeConfig lists every visible GPU for KIND_GPU groups; none left means none exist.
    if (kind === 'KIND_GPU' && gpus.length === 0) {
      throw new ConfigError((gpuCheck?.supported.length ?? 0) === 0
        ? `${at} has kind KIND_GPU but no GPUs are available` : `${at} has kind KIND_GPU but specifies no GPUs`);
    }
    const unsupported = kind === 'KIND_GPU' && gpuCheck !== undefined ? gpus.find((id) => !gpuCheck.supported.includes(id)) : undefined;
    if (unsupported !== undefined && gpuCheck !== undefined) {
      // Triton prints the capability with std::to_string(double): six decimals.
      throw new ConfigError(`${at} specifies invalid or unsupported gpu id ${unsupported}. GPUs with at least the minimum required `
        + `CUDA compute compatibility of ${gpuCheck.minComputeCapability.toFixed(6)} are: ${gpuCheck.supported.join(', ')}`);
    }
    // Triton's message really lacks the space before "specifies".
    if (config.platform !== 'tensorrt_plan' && (g.profile ?? []).length > 0) {
      throw new ConfigError(
        `${at} and platform ${config.platform ?? ''}specifies profile field which is only supported for TensorRT models`,
      );
    }
    // Triton defaults count < 1 during normalization, so it never sees one; ours is a guard for
    // configs validated without normalizeConfig.
    if ((g.count ?? 0) < 1) throw new ConfigError(`${at} must have a count of at least 1`);
  }
}

/**
 * Throws ConfigError (INVALID_ARG) with Triton's message for the first problem found. `io: false`
 * skips the inputs/outputs (ValidateModelIOConfig), as Triton does before a backend's auto-complete.
 */
export function validateConfig(
  config: ModelConfig, modelName: string, options: { io?: boolean; gpus?: GpuCheck } = {},
): void {
  checkIdentity(config, modelName);
  const name = config.name ?? '';
  checkDynamicBatching(config);
  if (config.sequence_batching !== undefined) {
    validateSequenceBatching(config.sequence_batching, name, config.max_batch_size ?? 0, config.response_cache?.enable === true);
  }
  checkEnsemble(config);
  if (config.model_transaction_policy?.decoupled && config.response_cache?.enable) {
    throw new ConfigError(
      `Response Cache does not currently support model ${name} with 'decoupled' transaction policy. Please disable the response cache.`,
    );
  }
  checkMetrics(config);
  checkInstanceGroups(config, options.gpus);
  if (options.io !== false) validateIo(config);
}
