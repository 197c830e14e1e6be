/**
 * A SchedulerClock that only moves when the test says so: `advance(ms)` fires due timers in time
 * order, so delay windows and timeouts are tested without sleeping.
 */
import type { SchedulerClock, TimerHandle } from '../../src/scheduler/clock.js';

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

export class ManualClock implements SchedulerClock {
  #now = 0;
  #seq = 0;
  #pending: Pending[] = [];

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#pending.push({ id, due: this.#now + Math.max(0, ms), fn });
    return id as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    this.#pending = this.#pending.filter((p) => p.id !== (handle as unknown as number));
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#pending.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (earliest first, ties in order set). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#pending
        .filter((p) => p.due <= target)
        .sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = next.due;
      next.fn();
    }
    this.#now = target;
  }
}
