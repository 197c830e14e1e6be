/**
 * `--allow-runtime-metrics` (inferd's, off by default so /metrics stays Triton's unless asked): the Node.js
 * runtime through prom-client's default collectors, under their standard names — event-loop delay
 * (`nodejs_eventloop_lag_*_seconds`, from perf_hooks.monitorEventLoopDelay), heap
 * (`nodejs_heap_size_used_bytes`, `nodejs_heap_size_total_bytes`, `nodejs_heap_space_size_*`), RSS
 * (`process_resident_memory_bytes`), GC pauses (`nodejs_gc_duration_seconds` by kind), CPU time, open file
 * descriptors, active handles, the Node version. Event-loop utilization is `inferd_event_loop_utilization`
 * (metrics.ts), shown with these even when `--allow-cpu-metrics=false`.
 *
 * The collectors watch the whole process (an event-loop delay monitor and a GC observer that cannot be
 * switched off again), so they are made once per process, in a registry of their own, and every
 * MetricsRegistry that asks for them renders that one registry: several servers in one process (tests,
 * embedding apps) share the figures instead of each adding a monitor.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/** The runtime metrics of this process (created on first use). */
export function runtimeMetrics(): ReturnType<Registry['getMetricsAsArray']> {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared.getMetricsAsArray();
}
