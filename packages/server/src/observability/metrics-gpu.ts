/**
 * Triton's per-GPU gauges (spec §9), labelled `gpu_uuid`, sampled from nvidia-smi every
 * `--metrics-interval-ms`. `nv_energy_consumption` is the integral of the sampled power draw since the
 * sampler started (Triton reads NVML's energy counter and subtracts its value at start-up; nvidia-smi
 * has no such query field, so the trapezoid sum over the samples stands in for it).
 * Without GPUs (no nvidia-smi) the first sample finds none, sampling stops and the families stay empty,
 * so a scrape leaves them out, as Triton does on a CPU-only server.
 */
import type { Gpu, GpuDevices } from '../devices/gpus.js';
import type { Sample } from './metrics-families.js';

interface GpuState {
  readonly gpu: Gpu;
  energyJoules: number;
  lastAt: number;
}

export class GpuSampler {
  readonly #devices: GpuDevices;
  readonly #intervalMs: number;
  readonly #state = new Map<string, GpuState>();
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;

  constructor(devices: GpuDevices, intervalMs: number) {
    this.#devices = devices;
    this.#intervalMs = Math.max(1, intervalMs);
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** First sample now; keeps sampling only when it found a GPU. */
  start(): Promise<void> {
    if (this.#timer !== undefined || this.#sampling !== undefined) return this.#sampling ?? Promise.resolve();
    this.#sampling = this.sample().then(() => {
      if (this.#state.size === 0) return;
      this.#timer = setInterval(() => void this.sample(), this.#intervalMs);
      this.#timer.unref();
    });
    return this.#sampling;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async sample(): Promise<void> {
    const now = performance.now();
    for (const gpu of await this.#devices.sample()) {
      const prev = this.#state.get(gpu.uuid);
      if (prev === undefined) {
        this.#state.set(gpu.uuid, { gpu, energyJoules: 0, lastAt: now });
        continue;
      }
      const seconds = (now - prev.lastAt) / 1000;
      const watts = [prev.gpu.powerWatts, gpu.powerWatts].filter(Number.isFinite);
      if (watts.length > 0) prev.energyJoules += (watts.reduce((a, b) => a + b, 0) / watts.length) * seconds;
      this.#state.set(gpu.uuid, { gpu, energyJoules: prev.energyJoules, lastAt: now });
    }
  }

  /** One family's samples, one per GPU with a finite value. */
  samples(read: (s: { gpu: Gpu; energyJoules: number }) => number): Sample[] {
    const out: Sample[] = [];
    for (const s of this.#state.values()) {
      const value = read(s);
      if (Number.isFinite(value)) out.push({ labels: { gpu_uuid: s.gpu.uuid }, value });
    }
    return out;
  }
}

/** The six families: name, Triton's help text, type, and what each reads. */
export const GPU_FAMILIES: readonly {
  name: string; help: string; type: 'gauge' | 'counter'; read: (s: { gpu: Gpu; energyJoules: number }) => number;
}[] = [
  { name: 'nv_gpu_utilization', help: 'GPU utilization rate [0.0 - 1.0)', type: 'gauge', read: (s) => s.gpu.utilization },
  { name: 'nv_gpu_memory_total_bytes', help: 'GPU total memory, in bytes', type: 'gauge', read: (s) => s.gpu.memoryTotalBytes },
  { name: 'nv_gpu_memory_used_bytes', help: 'GPU used memory, in bytes', type: 'gauge', read: (s) => s.gpu.memoryUsedBytes },
  { name: 'nv_gpu_power_usage', help: 'GPU power usage in watts', type: 'gauge', read: (s) => s.gpu.powerWatts },
  { name: 'nv_gpu_power_limit', help: 'GPU power management limit in watts', type: 'gauge', read: (s) => s.gpu.powerLimitWatts },
  {
    name: 'nv_energy_consumption', help: 'GPU energy consumption in joules since the Triton Server started', type: 'counter',
    read: (s) => s.energyJoules,
  },
];
