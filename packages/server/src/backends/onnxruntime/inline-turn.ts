/**
 * How many inline runs may go synchronously in the current turn of the event loop. Running a tiny model
 * right where its request arrives (the socket read that parsed it) answers it in the same turn, while its
 * client is still awake: measured over HTTP at c=16, deferring each run to `setImmediate` moved every reply
 * write to a later phase, after the client had gone back to sleep, so each write paid a wake-up and a
 * preemption of the server (writev cost ~37 µs per reply vs ~7 µs for the JS identity backend). But a caller
 * that awaits one answer and sends the next (an in-process closed loop) would chain synchronous runs through
 * microtasks for ever and starve timers and sockets; so after BUDGET runs in one turn the rest start from
 * `setImmediate`, which also starts the next turn's budget.
 */
const BUDGET = 64;

class InlineTurn {
  #used = 0;
  #resetScheduled = false;

  /** True when one more run may go now; false = defer it (to setImmediate). */
  take(): boolean {
    if (!this.#resetScheduled) {
      this.#resetScheduled = true;
      setImmediate(() => {
        this.#used = 0;
        this.#resetScheduled = false;
      });
    }
    if (this.#used >= BUDGET) return false;
    this.#used += 1;
    return true;
  }
}

export const inlineTurn = new InlineTurn();
