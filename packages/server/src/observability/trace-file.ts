/**
 * One trace file as Triton writes it (trace mode `triton`): with `log-frequency` N > 0, every N
 * collected traces go to `<file>.<index>` (index from 0); with 0, everything collected goes to `<file>`
 * when tracing stops (shutdown). Each write is one complete JSON array.
 */
import { writeFileSync } from 'node:fs';
import { tritonTraceObjects, type CompletedTrace } from './trace-record.js';

export class TraceFile {
  readonly path: string;
  #pending: string[] = [];
  #pendingTraces = 0;
  #index = 0;
  /** Write failures go here (a trace file must never fail a request). */
  readonly #onError: (message: string) => void;

  constructor(path: string, onError: (message: string) => void) {
    this.path = path;
    this.#onError = onError;
  }

  add(trace: CompletedTrace, logFrequency: number): void {
    // No file: nothing to write to, so nothing is kept (it would only grow).
    if (this.path === '') return;
    for (const o of tritonTraceObjects(trace)) this.#pending.push(o);
    this.#pendingTraces += 1;
    if (logFrequency > 0 && this.#pendingTraces >= logFrequency) this.#write(true);
  }

  /** Writes whatever is pending: to `<file>.<index>` once indexed files were used, else to `<file>`. */
  flush(logFrequency: number): void {
    if (this.#pendingTraces === 0) return;
    this.#write(logFrequency > 0 || this.#index > 0);
  }

  #write(indexed: boolean): void {
    const target = indexed ? `${this.path}.${this.#index++}` : this.path;
    const text = `[${this.#pending.join(',')}]`;
    this.#pending = [];
    this.#pendingTraces = 0;
    try {
      writeFileSync(target, text);
    } catch (err) {
      this.#onError(`failed to write trace file '${target}': ${(err as Error).message}`);
    }
  }
}
