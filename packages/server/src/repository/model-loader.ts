/**
 * Loads one model directory into servable versions: config file -> core auto-complete -> backend
 * auto-complete -> normalize -> validate -> per version: backend model, instances, scheduler.
 * A failure is reported per model (bad config, unknown backend) or per version (bad model file); it
 * never throws, so one broken model cannot take the others down. Ensembles load in two stages
 * (`prepareEnsemble`, then `loadEnsemble` once the manager has loaded their members).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelLoadChannel, ModelStats, ServerError, type ModelLoadMessage, type ExecutionInstance, type ModelInvoker } from '../core/index.js';
import {
  completePlatform, normalizeConfig, parseModelConfigText, platformInfo, selectVersions, toModelSpec, validateConfig,
  type ModelConfig,
} from '../config/index.js';
import type { Backend, BackendMetrics, BackendModel, BackendModelContext } from '../backends/contract.js';
import type { BackendRegistry } from '../backends/registry.js';
import { validateEnsembleMembers } from '../config/validate-ensemble.js';
import { createScheduler } from '../scheduler/create-scheduler.js';
import { InstancePool } from '../scheduler/instance-pool.js';
import type { InstanceRateLimit, RateLimiter } from '../scheduler/rate-limiter.js';
import type { Logger } from '../observability/log.js';
import { configFilePath, firstVersionEntries, listVersionDirs, readLabels } from './layout.js';
import { ServedVersion } from './served-version.js';
import { runWarmup } from './warmup.js';
import type { Gpu, GpuDevices } from '../devices/gpus.js';

export interface LoaderOptions {
  readonly registry: BackendRegistry;
  readonly backendConfig: { forBackend(name: string): Record<string, string> };
  readonly autoComplete: boolean;
  readonly configName?: string;
  readonly log: Logger;
  /** The server's rate limiter (`--rate-limit=execution_count`); absent = off, `rate_limiter` ignored. */
  readonly rateLimiter?: RateLimiter;
  /** Lets backends and schedulers run other models of this server (bound once the server exists). */
  readonly invoker: ModelInvoker;
  /** Called when a version has loaded, before it serves (the metrics registry attaches its observer). */
  readonly onVersionLoaded?: (stats: ModelStats, config: ModelConfig) => void;
  /** Handed to backends as `BackendModelContext.metrics` (their own families on /metrics). */
  readonly metrics?: BackendMetrics;
  /** The server's GPUs (KIND_AUTO/KIND_GPU placement, `gpus` checks); absent = none. */
  readonly devices?: GpuDevices;
}

export interface VersionLoadResult {
  readonly version: number;
  readonly served?: ServedVersion;
  readonly error?: string;
}

export interface ModelLoadResult {
  readonly versions: readonly VersionLoadResult[];
  /** Set when the model as a whole failed (config, backend, version policy). */
  readonly error?: string;
}

interface Prepared {
  config: ModelConfig;
  backend: Backend;
  selected: number[];
  /** Backend model already created for auto-complete, reused for that version. */
  first: { version: number; model: BackendModel };
  labels: Map<string, string[]>;
  /** The supported GPUs, by CUDA id (instances get their UUID). */
  gpus: readonly Gpu[];
}

/**
 * `configOverride`: the load API's `config` parameter, used instead of the config file on disk (as
 * Triton does; it still goes through auto-complete, normalization and validation).
 */
export async function loadModel(
  name: string, modelDir: string, options: LoaderOptions, configOverride?: ModelConfig,
): Promise<ModelLoadResult> {
  let prepared: Prepared;
  try {
    prepared = await prepare(name, modelDir, options, configOverride);
  } catch (err) {
    return { versions: [], error: ServerError.from(err).message };
  }
  const versions: VersionLoadResult[] = [];
  for (const version of prepared.selected) {
    versions.push(await loadVersion(name, modelDir, version, prepared, options));
  }
  return { versions };
}

function readConfig(name: string, modelDir: string, options: LoaderOptions, override?: ModelConfig): ModelConfig {
  if (override !== undefined) return override;
  const path = configFilePath(modelDir, options.configName);
  if (path !== undefined) return parseModelConfigText(readFileSync(path, 'utf8'), path);
  if (options.autoComplete) return {};
  throw ServerError.invalidArg(
    `failed to load model '${name}': no model configuration found at '${join(modelDir, 'config.pbtxt')}' and auto-complete is disabled`,
  );
}

async function prepare(name: string, modelDir: string, options: LoaderOptions, override?: ModelConfig): Promise<Prepared> {
  let config = readConfig(name, modelDir, options, override);
  const available = listVersionDirs(modelDir);
  // Triton fills the backend fields (backend, platform, default file) whether or not auto-complete is
  // on: without them no backend can be found. `autoComplete` governs only the backend's own step.
  config = completePlatform(config, name, firstVersionEntries(modelDir, available));
  if (isEnsembleConfig(config)) {
    throw ServerError.internal(`ensemble '${name}' must be loaded after its composing models (RepositoryManager does this)`);
  }
  const backendName = config.backend || platformInfo(config.platform ?? '')?.backend || '';
  if (backendName === '') {
    throw ServerError.invalidArg(
      `unexpected platform type '${config.platform ?? ''}' for ${name}: set 'backend' or 'platform' in the model configuration`,
    );
  }
  const gpus = await options.devices?.supported() ?? [];
  const gpuCheck = { supported: gpus.map((g) => g.id), minComputeCapability: options.devices?.minComputeCapability ?? 6.0 };
  const selected = selectVersions(config.version_policy, available);
  if (selected.length === 0) {
    // Triton validates the config when it polls the model, before the lifecycle looks for versions:
    // a bad config is the reason even without a version directory. The inputs and outputs are
    // checked then only when no auto-complete may still fill them in.
    validateConfig(normalizeConfig(config, { modelName: name, gpus: gpuCheck.supported }), name, {
      io: !options.autoComplete, gpus: gpuCheck,
    });
    throw ServerError.invalidArg(`at least one version must be available under the version policy of model '${name}'`);
  }
  const backend = await options.registry.resolve(backendName, { runtime: config.runtime ?? '', modelName: name });
  const firstVersion = selected[selected.length - 1]!;
  const firstModel = await backend.createModel(modelContext(name, modelDir, firstVersion, config, backendName, options));
  try {
    if (options.autoComplete && firstModel.autoComplete !== undefined) config = await firstModel.autoComplete(config);
    config = normalizeConfig(config, { modelName: name, gpus: gpuCheck.supported });
    validateConfig(config, name, { gpus: gpuCheck });
    return {
      config, backend, selected, first: { version: firstVersion, model: firstModel }, labels: loadLabels(modelDir, config), gpus,
    };
  } catch (err) {
    await firstModel.dispose().catch(() => {});
    throw err;
  }
}

/**
 * An ensemble's output labels (Triton's label provider for ensembles): the ensemble's own label_filename
 * where set, else the labels of the member output the output is mapped from.
 */
function ensembleLabels(
  config: ModelConfig, modelDir: string, memberLabels: (name: string, output: string) => readonly string[] | undefined,
): Map<string, string[]> {
  const labels = loadLabels(modelDir, config);
  const outputs = new Set((config.output ?? []).map((o) => o.name ?? ''));
  for (const step of config.ensemble_scheduling?.step ?? []) {
    for (const [memberOutput, tensor] of Object.entries(step.output_map ?? {})) {
      if (!outputs.has(tensor) || labels.has(tensor)) continue;
      const found = memberLabels(step.model_name ?? '', memberOutput);
      if (found !== undefined) labels.set(tensor, [...found]);
    }
  }
  return labels;
}

function loadLabels(modelDir: string, config: ModelConfig): Map<string, string[]> {
  const labels = new Map<string, string[]>();
  for (const out of config.output ?? []) {
    if (out.label_filename === undefined || out.label_filename === '' || out.name === undefined) continue;
    try {
      labels.set(out.name, readLabels(join(modelDir, out.label_filename)));
    } catch (err) {
      throw ServerError.invalidArg(`failed to read label file '${out.label_filename}' for output '${out.name}': ${(err as Error).message}`);
    }
  }
  return labels;
}

function modelContext(
  name: string, modelDir: string, version: number, config: ModelConfig, backendName: string, options: LoaderOptions,
): BackendModelContext {
  const versionDir = join(modelDir, String(version));
  const file = config.default_model_filename || platformInfo(config.platform ?? '')?.defaultModelFilename || '';
  const component = `${backendName}:${name}`;
  return {
    modelDir,
    versionDir,
    version,
    modelPath: join(versionDir, file),
    config,
    backendConfig: options.backendConfig.forBackend(backendName),
    invoker: options.invoker,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    log: {
      info: (m) => options.log.info(component, m),
      warn: (m) => options.log.warning(component, m),
      error: (m) => options.log.error(component, m),
      verbose: (level, m) => options.log.verbose(level, component, m),
    },
  };
}

/** An instance group's `rate_limiter` as the limiter takes it, for an instance on `deviceId` (0 off GPU). */
function instanceRateLimit(group: NonNullable<ModelConfig['instance_group']>[number], deviceId: number): InstanceRateLimit {
  return {
    resources: (group.rate_limiter?.resources ?? []).map((r) => ({ name: r.name ?? '', global: r.global ?? false, count: r.count ?? 0 })),
    priority: group.rate_limiter?.priority ?? 0,
    deviceId,
  };
}

/**
 * Where a group's instances go, as Triton's SetInstances: `count` instances on each listed GPU for
 * KIND_GPU (instance `c` on every GPU shares the name `<group>_<c>`), else `count` on device 0.
 */
function placements(group: NonNullable<ModelConfig['instance_group']>[number]): { index: number; deviceId: number }[] {
  const devices = group.kind === 'KIND_GPU' ? (group.gpus ?? []) : [0];
  const out: { index: number; deviceId: number }[] = [];
  for (let i = 0; i < (group.count ?? 1); i++) for (const deviceId of devices) out.push({ index: i, deviceId });
  return out;
}

/**
 * `response_cache { enable: true }`, for schedulers that may use it (spec §12: default and dynamic
 * batching, not decoupled; validation already rejects the other combinations).
 */
function usesResponseCache(config: ModelConfig): boolean {
  return config.response_cache?.enable === true && config.model_transaction_policy?.decoupled !== true
    && config.sequence_batching === undefined;
}

async function loadVersion(
  name: string, modelDir: string, version: number, p: Prepared, options: LoaderOptions,
): Promise<VersionLoadResult> {
  const loadStart = performance.now();
  let backendModel: BackendModel | undefined;
  const instances: ExecutionInstance[] = [];
  let pool: InstancePool | undefined;
  try {
    backendModel = version === p.first.version
      ? p.first.model
      : await p.backend.createModel(modelContext(name, modelDir, version, p.config, p.backend.name, options));
    const spec = toModelSpec(p.config, version, p.labels);
    const stats = new ModelStats(name, version);
    const rateLimits: InstanceRateLimit[] = [];
    for (const group of p.config.instance_group ?? []) {
      for (const { index, deviceId } of placements(group)) {
        rateLimits.push(instanceRateLimit(group, deviceId));
        const gpu = group.kind === 'KIND_GPU' ? p.gpus.find((g) => g.id === deviceId) : undefined;
        instances.push(
          await backendModel.createInstance({
            name: `${group.name ?? name}_${index}`,
            kind: group.kind ?? 'KIND_CPU',
            deviceId,
            ...(gpu === undefined ? {} : { gpuUuid: gpu.uuid }),
            config: p.config,
            spec,
          }),
        );
      }
    }
    pool = new InstancePool(instances, stats, {
      decoupled: spec.decoupled,
      // Sequence models run one execution per instance at a time (state, pinned instances): no staging.
      staging: p.config.sequence_batching === undefined,
      ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter, rateLimits }),
    });
    const served = new ServedVersion({
      spec, stats, responseCache: usesResponseCache(p.config), config: p.config,
      scheduler: createScheduler({ pool, spec, config: p.config, modelDir, invoker: options.invoker }), pool, backendModel,
    });
    await runWarmup({ name, modelDir, config: p.config, spec, scheduler: served.scheduler, verbose: (m) => options.log.verbose(1, 'model_lifecycle', m) });
    stats.loadDurationSecs = (performance.now() - loadStart) / 1000;
    options.onVersionLoaded?.(stats, p.config);
    options.log.info('model_lifecycle', `successfully loaded '${name}' version ${version}`, { model: name, version, state: 'READY' });
    if (modelLoadChannel.hasSubscribers) {
      modelLoadChannel.publish({ modelName: name, version, durationSecs: stats.loadDurationSecs } satisfies ModelLoadMessage);
    }
    return { version, served };
  } catch (err) {
    // A pool, once made, owns the instances and its rate limiter registrations.
    if (pool !== undefined) await pool.dispose().catch(() => {});
    else await Promise.all(instances.map((i) => i.dispose().catch(() => {})));
    await backendModel?.dispose().catch(() => {});
    const message = ServerError.from(err).message;
    options.log.error('model_lifecycle', `failed to load '${name}' version ${version}: ${message}`, { model: name, version, state: 'UNAVAILABLE' });
    if (modelLoadChannel.hasSubscribers) {
      const durationSecs = (performance.now() - loadStart) / 1000;
      modelLoadChannel.publish({ modelName: name, version, error: message, durationSecs } satisfies ModelLoadMessage);
    }
    return { version, error: message };
  }
}

const isEnsembleConfig = (config: ModelConfig): boolean =>
  config.platform === 'ensemble' || config.ensemble_scheduling !== undefined;

/**
 * True when the directory holds an ensemble (read cheaply, before anything loads, so the manager can
 * load ensembles after their members). A config that cannot be read is not an ensemble here: loading
 * it as a model reports the error.
 */
export function isEnsembleDir(name: string, modelDir: string, options: LoaderOptions, override?: ModelConfig): boolean {
  try {
    return isEnsembleConfig(readConfig(name, modelDir, options, override));
  } catch {
    return false;
  }
}

/**
 * `loadModel` with `retries` (--model-load-retry-count) further attempts while the model or any version
 * fails (a model file still being copied, a backend that needs a second try). Versions that did load in
 * a failed attempt are disposed first, so each attempt starts clean.
 */
export async function loadModelWithRetry(
  name: string, dir: string, options: LoaderOptions, retries: number, config?: ModelConfig,
): Promise<ModelLoadResult> {
  const most = Math.max(0, retries);
  for (let attempt = 0; ; attempt++) {
    const result = await loadModel(name, dir, options, config);
    const failed = result.error !== undefined || result.versions.some((v) => v.error !== undefined);
    if (!failed || attempt >= most) return result;
    await Promise.all(result.versions.map((v) => v.served?.dispose().catch(() => {})));
    options.log.warning('model_lifecycle', `retrying load of '${name}' (attempt ${attempt + 2} of ${most + 1})`);
  }
}

/** An ensemble whose own config is valid (Triton's ValidateModelConfig), members not yet checked. */
export interface PreparedEnsemble {
  readonly config: ModelConfig;
  readonly selected: readonly number[];
  /** Composing model names and the version each step asks for (-1 = latest), in step order. */
  readonly members: readonly { readonly name: string; readonly version: number }[];
}

export function prepareEnsemble(name: string, modelDir: string, options: LoaderOptions, override?: ModelConfig): PreparedEnsemble {
  let config = readConfig(name, modelDir, options, override);
  const available = listVersionDirs(modelDir);
  config = completePlatform(config, name, firstVersionEntries(modelDir, available));
  config = normalizeConfig(config, { modelName: name });
  validateConfig(config, name);
  const selected = selectVersions(config.version_policy, available);
  if (selected.length === 0) {
    throw ServerError.invalidArg(`at least one version must be available under the version policy of model '${name}'`);
  }
  const members = (config.ensemble_scheduling?.step ?? []).map((s) => ({ name: s.model_name ?? '', version: s.model_version ?? -1 }));
  return { config, selected, members };
}

/**
 * Second stage, once every member has a READY version: checks the steps against the members' final
 * configs (`memberConfig`), marks the ensemble decoupled when a decoupled member feeds it, and builds
 * each version (no backend, no instances: an EnsembleScheduler over the invoker).
 */
export function loadEnsemble(
  name: string, modelDir: string, prepared: PreparedEnsemble, options: LoaderOptions, memberConfig: (name: string) => ModelConfig,
  memberLabels: (name: string, output: string) => readonly string[] | undefined = () => undefined,
): ModelLoadResult {
  let config: ModelConfig;
  try {
    const decoupled = validateEnsembleMembers(prepared.config, memberConfig);
    config = { ...prepared.config, model_transaction_policy: { ...prepared.config.model_transaction_policy, decoupled } };
  } catch (err) {
    return { versions: [], error: ServerError.from(err).message };
  }
  const members = (config.ensemble_scheduling?.step ?? []).map((s) => memberConfig(s.model_name ?? ''));
  let labels: Map<string, string[]>;
  try {
    labels = ensembleLabels(config, modelDir, memberLabels);
  } catch (err) {
    return { versions: [], error: ServerError.from(err).message };
  }
  const versions: VersionLoadResult[] = prepared.selected.map((version) => {
    try {
      const spec = toModelSpec(config, version, labels);
      const stats = new ModelStats(name, version);
      const scheduler = createScheduler({
        spec, config, modelDir, invoker: options.invoker, ensemble: { stats, members },
      });
      options.onVersionLoaded?.(stats, config);
      options.log.info('model_lifecycle', `successfully loaded '${name}' version ${version}`, { model: name, version, state: 'READY' });
      return { version, served: new ServedVersion({ spec, stats, scheduler, config }) };
    } catch (err) {
      const message = ServerError.from(err).message;
      options.log.error('model_lifecycle', `failed to load '${name}' version ${version}: ${message}`, { model: name, version, state: 'UNAVAILABLE' });
      return { version, error: message };
    }
  });
  return { versions };
}
