/**
 * Defaults Triton core applies after backend auto-complete (NormalizeModelConfig + NormalizeInstanceGroup,
 * spec §6.2/§7). What they set is visible in /config, so they follow Triton exactly.
 */
import type { ModelConfig, ModelInstanceGroup } from './types.js';

/** Triton's SEQUENCE_IDLE_DEFAULT_MICROSECONDS. */
const SEQUENCE_IDLE_DEFAULT_US = 1_000_000;
/** Backends whose CPU instance groups default to 2 instances (Triton's SetDefaultInstanceCount). */
const TWO_CPU_INSTANCE_BACKENDS = new Set(['onnxruntime', 'tensorflow']);
/**
 * Backends that execute on the CPU in inferd whatever GPUs exist (onnxruntime-node's CPU build): their
 * KIND_AUTO groups stay KIND_CPU (two instances) instead of becoming idle-GPU instances.
 */
const CPU_ONLY_BACKENDS = new Set(['onnxruntime']);

export interface NormalizeOptions {
  readonly modelName: string;
  /** GPUs visible to the server; KIND_AUTO groups resolve to KIND_CPU when there are none. Default 0. */
  readonly gpuCount?: number;
  /** The supported GPUs' CUDA ids (wins over gpuCount): what KIND_GPU without `gpus` expands to. */
  readonly gpus?: readonly number[];
}

function preferredSizes(sizes: readonly number[] | undefined, maxBatchSize: number): number[] | undefined {
  if (sizes !== undefined && sizes.length > 0) return [...sizes];
  return maxBatchSize > 0 ? [maxBatchSize] : undefined;
}

function normalizeGroups(config: ModelConfig, gpus: readonly number[]): ModelInstanceGroup[] {
  const name = config.name ?? '';
  const groups: ModelInstanceGroup[] = (config.instance_group ?? []).map((g) => ({ ...g }));
  if (groups.length === 0) groups.push({ name });
  const gpuCount = gpus.length;
  groups.forEach((group, idx) => {
    if (!group.name) group.name = `${name}_${idx}`;
    if (group.kind === undefined || group.kind === 'KIND_AUTO') {
      // KIND_AUTO runs on GPU only when GPUs exist and every listed one is present.
      const listedOk = (group.gpus ?? []).every((id) => gpus.includes(id));
      const cpuOnly = CPU_ONLY_BACKENDS.has(config.backend ?? '') || config.platform === 'onnxruntime_onnx';
      group.kind = gpuCount > 0 && listedOk && !cpuOnly ? 'KIND_GPU' : 'KIND_CPU';
    }
    if ((group.count ?? 0) < 1) {
      group.count = group.kind === 'KIND_CPU' && TWO_CPU_INSTANCE_BACKENDS.has(config.backend ?? '') ? 2 : 1;
    }
    if (group.kind === 'KIND_GPU' && (group.gpus ?? []).length === 0 && gpus.length > 0) group.gpus = [...gpus];
  });
  return groups;
}

/**
 * Applies Triton's load-time defaults: name, version_policy latest 1, preferred batch sizes, sequence idle
 * time, pinned-memory flags and instance groups (none for ensembles). Returns a new object.
 */
export function normalizeConfig(config: ModelConfig, options: NormalizeOptions): ModelConfig {
  const out: ModelConfig = { ...config };
  if (!out.name) out.name = options.modelName;
  const maxBatchSize = out.max_batch_size ?? 0;
  if (out.version_policy === undefined) out.version_policy = { latest: { num_versions: 1 } };

  if (out.dynamic_batching !== undefined) {
    const preferred = preferredSizes(out.dynamic_batching.preferred_batch_size, maxBatchSize);
    out.dynamic_batching = { ...out.dynamic_batching };
    if (preferred !== undefined) out.dynamic_batching.preferred_batch_size = preferred;
  }

  if (out.sequence_batching !== undefined) {
    const seq = { ...out.sequence_batching };
    if (!seq.max_sequence_idle_microseconds) seq.max_sequence_idle_microseconds = SEQUENCE_IDLE_DEFAULT_US;
    if (seq.oldest !== undefined) {
      const preferred = preferredSizes(seq.oldest.preferred_batch_size, maxBatchSize);
      seq.oldest = { ...seq.oldest };
      if (preferred !== undefined) seq.oldest.preferred_batch_size = preferred;
    }
    out.sequence_batching = seq;
  }

  // Ensembles have no instances, optimization or pinned buffers of their own.
  if (out.ensemble_scheduling === undefined) {
    const optimization = { ...(out.optimization ?? {}) };
    if (optimization.input_pinned_memory === undefined) optimization.input_pinned_memory = { enable: true };
    if (optimization.output_pinned_memory === undefined) optimization.output_pinned_memory = { enable: true };
    out.optimization = optimization;
    const gpus = options.gpus ?? Array.from({ length: options.gpuCount ?? 0 }, (_, i) => i);
    out.instance_group = normalizeGroups(out, gpus);
  }
  return out;
}
