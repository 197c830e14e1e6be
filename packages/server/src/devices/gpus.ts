/**
 * GPU discovery without native modules: `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` (it
 * reads NVML for us). The executable is `nvidia-smi` on PATH unless `INFERD_NVIDIA_SMI` (or the server
 * option) names another, which is how the tests on GPU-less machines hand in a script printing the same
 * CSV. Where no such executable exists the server has no GPUs; the lookup runs once, at the first model
 * load that needs it, so a CPU machine pays one failed spawn at most.
 *
 * Ids: `gpus: [...]` in a config are CUDA device ids, i.e. positions among the GPUs the server's own
 * `CUDA_VISIBLE_DEVICES` lets through (all, in nvidia-smi's order, when unset). Each GPU keeps its
 * UUID, which is what a stub's `CUDA_VISIBLE_DEVICES` is set to (stable whatever the parent's mask).
 */
import { execFile } from 'node:child_process';

/** Triton's `--min-supported-compute-capability` default. */
export const DEFAULT_MIN_COMPUTE_CAPABILITY = 6.0;

/** The nvidia-smi fields, in the order the CSV columns come. */
export const NVIDIA_SMI_FIELDS = [
  'index', 'uuid', 'name', 'compute_cap', 'memory.total', 'memory.used', 'utilization.gpu', 'power.draw', 'power.limit',
] as const;

export interface GpuSample {
  /** nvidia-smi's (physical) index. */
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  /** e.g. 9.0; NaN where the driver does not report it. */
  readonly computeCapability: number;
  readonly memoryTotalBytes: number;
  readonly memoryUsedBytes: number;
  /** 0.0–1.0. */
  readonly utilization: number;
  readonly powerWatts: number;
  readonly powerLimitWatts: number;
}

/** A GPU the server may place instances on; `id` is its CUDA device id (see the header). */
export interface Gpu extends GpuSample {
  readonly id: number;
}

const MIB = 1024 * 1024;

/** A number from one CSV cell; `[N/A]`, `[Not Supported]` and blanks read as NaN. */
function num(cell: string | undefined): number {
  const t = (cell ?? '').trim();
  return t === '' || t.startsWith('[') ? Number.NaN : Number(t);
}

/** Parses nvidia-smi's `csv,noheader,nounits` output for NVIDIA_SMI_FIELDS (MiB, %, W). */
export function parseNvidiaSmiCsv(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const c = line.split(',').map((s) => s.trim());
    if (c.length < NVIDIA_SMI_FIELDS.length) throw new Error(`unexpected nvidia-smi line: '${line}'`);
    const index = num(c[0]);
    if (!Number.isInteger(index)) throw new Error(`unexpected nvidia-smi line: '${line}'`);
    out.push({
      index, uuid: c[1] ?? '', name: c[2] ?? '', computeCapability: num(c[3]),
      memoryTotalBytes: num(c[4]) * MIB, memoryUsedBytes: num(c[5]) * MIB, utilization: num(c[6]) / 100,
      powerWatts: num(c[7]), powerLimitWatts: num(c[8]),
    });
  }
  return out;
}

/**
 * The GPUs a `CUDA_VISIBLE_DEVICES` value lets through, in its order (CUDA's rules: indices or UUID
 * prefixes, comma-separated; the list stops at the first entry that matches nothing). Unset = all.
 */
export function visibleGpus(all: readonly GpuSample[], mask: string | undefined): Gpu[] {
  if (mask === undefined) return all.map((g, id) => ({ ...g, id }));
  const out: Gpu[] = [];
  for (const entry of mask.split(',').map((s) => s.trim())) {
    const found = /^\d+$/.test(entry)
      ? all.find((g) => g.index === Number(entry))
      : entry === '' ? undefined : all.find((g) => g.uuid.startsWith(entry));
    if (found === undefined || out.some((g) => g.uuid === found.uuid)) break;
    out.push({ ...found, id: out.length });
  }
  return out;
}

export interface GpuDevicesOptions {
  /** The nvidia-smi executable; default env `INFERD_NVIDIA_SMI`, else `nvidia-smi` on PATH. */
  readonly nvidiaSmi?: string;
  /** `--min-supported-compute-capability` (6.0): GPUs below it get no instances. */
  readonly minComputeCapability?: number;
  /** The server's CUDA_VISIBLE_DEVICES; default the process's. */
  readonly visibleDevices?: string;
}

/** The server's GPUs: found once, lazily; `sample()` re-reads the live figures for the metrics. */
export class GpuDevices {
  readonly minComputeCapability: number;
  readonly #command: string;
  readonly #mask: string | undefined;
  #found: Promise<Gpu[]> | undefined;
  /** Set when the command cannot run at all: no more attempts (metrics stop asking). */
  #absent = false;

  constructor(options: GpuDevicesOptions = {}) {
    this.#command = options.nvidiaSmi ?? process.env['INFERD_NVIDIA_SMI'] ?? 'nvidia-smi';
    this.minComputeCapability = options.minComputeCapability ?? DEFAULT_MIN_COMPUTE_CAPABILITY;
    this.#mask = 'visibleDevices' in options ? options.visibleDevices : process.env['CUDA_VISIBLE_DEVICES'];
  }

  /** Every GPU visible to the server (compute capability not checked). */
  all(): Promise<Gpu[]> {
    this.#found ??= this.sample();
    return this.#found;
  }

  /** The GPUs instances may use: compute capability at least the minimum (Triton's supported GPUs). */
  async supported(): Promise<Gpu[]> {
    // An unknown capability (old driver) is not held against the GPU.
    return (await this.all()).filter((g) => !(g.computeCapability < this.minComputeCapability));
  }

  /** Runs nvidia-smi now; no executable or a failing one = no GPUs. */
  async sample(): Promise<Gpu[]> {
    if (this.#absent) return [];
    const text = await new Promise<string | undefined>((resolve) => {
      const none = (): void => {
        // ENOENT/EACCES/ENOTDIR: there is no nvidia-smi; a driver error is treated the same (no usable GPU).
        this.#absent = true;
        resolve(undefined);
      };
      try {
        execFile(this.#command, [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'],
          { timeout: 10_000, windowsHide: true }, (err, stdout) => (err !== null ? none() : resolve(stdout)));
      } catch {
        none();
      }
    });
    if (text === undefined) return [];
    try {
      return visibleGpus(parseNvidiaSmiCsv(text), this.#mask);
    } catch {
      return [];
    }
  }
}
