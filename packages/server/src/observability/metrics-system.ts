/**
 * Server-wide CPU gauges from /proc, sampled every `--metrics-interval-ms` as Triton does (spec §9):
 * `nv_cpu_utilization` = busy / (busy + idle + iowait) between two samples of the `cpu` line of
 * /proc/stat; memory = MemTotal and MemTotal − MemAvailable of /proc/meminfo, ×1024 (kB → bytes).
 * Where /proc does not exist (macOS), the gauges stay 0.
 *
 * inferd adds `inferd_event_loop_utilization`: the share of the last interval the main thread's event
 * loop spent running code (Node's performance.eventLoopUtilization). Every frontend and scheduler runs on
 * that loop, so near 1.0 it — not the backends — caps throughput (issue 14's large-tensor figures).
 */
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

interface CpuTimes {
  readonly busy: number;
  readonly idle: number;
}

/** The aggregate `cpu` line: user nice system idle iowait irq softirq steal (guest is inside user). */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

/** MemTotal and MemTotal − MemAvailable in bytes. */
export function parseMeminfo(text: string): { total: number; used: number } | undefined {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  if (total === undefined || available === undefined) return undefined;
  return { total: total * 1024, used: (total - available) * 1024 };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export class SystemSampler {
  utilization = 0;
  memoryTotalBytes = 0;
  memoryUsedBytes = 0;
  eventLoopUtilization = 0;
  #last: CpuTimes | undefined;
  #lastLoop: EventLoopUtilization | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #intervalMs: number;

  constructor(intervalMs: number) {
    this.#intervalMs = Math.max(1, intervalMs);
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Takes a first sample now, then one per interval (unref'd: never keeps the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sample(): void {
    const loop = performance.eventLoopUtilization();
    if (this.#lastLoop !== undefined) this.eventLoopUtilization = performance.eventLoopUtilization(loop, this.#lastLoop).utilization;
    this.#lastLoop = loop;
    const stat = read('/proc/stat');
    const cpu = stat === undefined ? undefined : parseProcStat(stat);
    if (cpu !== undefined) {
      if (this.#last !== undefined) {
        const busy = cpu.busy - this.#last.busy;
        const total = busy + (cpu.idle - this.#last.idle);
        if (total > 0) this.utilization = Math.min(1, Math.max(0, busy / total));
      }
      this.#last = cpu;
    }
    const meminfo = read('/proc/meminfo');
    const mem = meminfo === undefined ? undefined : parseMeminfo(meminfo);
    if (mem !== undefined) {
      this.memoryTotalBytes = mem.total;
      this.memoryUsedBytes = mem.used;
    }
  }
}
