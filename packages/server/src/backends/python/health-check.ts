/**
 * Liveness of a running stub: a ping every quarter of `stub-timeout-seconds`, answered by the stub's
 * reader thread (so a long `execute` does not count as a hang, as in Triton where the stub's health
 * flag is separate from execution). A stub that does not answer within the timeout — deadlocked, or
 * stuck in C code holding the GIL — is reported through `onHang`, which kills it; the instance's exit
 * handling then fails its requests and restarts it.
 */
import type { StubProcess } from './stub-process.js';

export class HealthCheck {
  readonly #stub: StubProcess;
  readonly #timeoutMs: number;
  readonly #onHang: () => void;
  readonly #timer: NodeJS.Timeout;
  /** performance.now() of the unanswered ping, if any. */
  #pendingSince: number | undefined;

  constructor(stub: StubProcess, timeoutMs: number, onHang: () => void) {
    this.#stub = stub;
    this.#timeoutMs = timeoutMs;
    this.#onHang = onHang;
    this.#timer = setInterval(() => this.#tick(), Math.max(50, timeoutMs / 4));
    this.#timer.unref();
  }

  pong(): void {
    this.#pendingSince = undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    if (this.#stub.exited) {
      this.stop();
      return;
    }
    const now = performance.now();
    if (this.#pendingSince !== undefined) {
      if (now - this.#pendingSince > this.#timeoutMs) {
        this.stop();
        this.#onHang();
      }
      return;
    }
    this.#pendingSince = now;
    try {
      this.#stub.send({ t: 'ping' });
    } catch {
      this.stop();
    }
  }
}
