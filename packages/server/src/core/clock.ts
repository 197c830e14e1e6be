import { performance } from 'node:perf_hooks';

/** Monotonic nanoseconds since process start, as a double (exact to well under 1 ns for ~100 days). */
export function nowNs(): number {
  return Math.round(performance.now() * 1e6);
}
