/**
 * Time as schedulers see it. Production uses the process clock; tests pass a manual clock so delay
 * windows, queue timeouts and idle timeouts are driven step by step instead of by sleeping.
 */
import { performance } from 'node:perf_hooks';

export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

export interface SchedulerClock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds of this clock. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const systemClock: SchedulerClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(1, Math.ceil(ms))),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
