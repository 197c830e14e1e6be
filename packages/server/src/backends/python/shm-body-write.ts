/**
 * Writing one body into the server -> stub file (stub-process.ts): the one copy of a batch's inputs on
 * their way to the stub. Two ways, chosen per body:
 *
 * - On the main thread, `sliceBytes` per event-loop turn (all at once when the stub waits for it). On
 *   the 2-core machine this is the fastest: libuv's pool threads wait for a core (bench/python-pipeline).
 * - In parallel on libuv's pool: a large body is cut into up to `threads` ranges, each one `pwritev` on
 *   its own pool thread. On a GPU server the synchronous copy into tmpfs ran at ~4 GB/s (19 MB of a
 *   32-image batch: 4.6-4.9 ms while the stub and the GPU waited, bench/RESULTS.md "gpu"); the page-cache
 *   copy is per-page CPU work that scales with threads, and the main thread is free meanwhile.
 *
 * The pool is used where the machine has cores to spare: SHM_WRITE_THREADS_ENV overrides it (0: never;
 * tests set it to drive the parallel path on any machine).
 */
import { writev, writevSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Environment variable: pool threads for one large body (0 = main thread only). */
export const SHM_WRITE_THREADS_ENV = 'INFERD_SHM_WRITE_THREADS';
/** Bodies smaller than this are written on the main thread: a pool round trip costs more than it saves. */
export const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;
/** Each pool write covers at least this much. */
const PARALLEL_MIN_RANGE = 2 * 1024 * 1024;
/** Cores below which the pool is not used by default (its threads would compete with the main thread). */
const PARALLEL_MIN_CORES = 8;
/** libuv's default pool size: more ranges than threads would only queue. */
const DEFAULT_THREADS = 4;

/** Pool threads per large body on this machine (read once; see the module comment). */
export function shmWriteThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SHM_WRITE_THREADS_ENV];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    return Number.isInteger(n) && n >= 0 ? Math.min(n, 64) : 0;
  }
  return availableParallelism() >= PARALLEL_MIN_CORES ? DEFAULT_THREADS : 0;
}

/** Bytes [from, to) of `buffers` taken back to back, as views. */
export function sliceBuffers(buffers: readonly Uint8Array[], from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const b of buffers) {
    const end = start + b.byteLength;
    if (end > from && start < to) out.push(b.subarray(Math.max(0, from - start), Math.min(b.byteLength, to - start)));
    start = end;
    if (start >= to) break;
  }
  return out;
}

export interface BodyWrite {
  readonly fd: number;
  readonly buffers: readonly Uint8Array[];
  /** Total bytes of `buffers`. */
  readonly body: number;
  /** File offset of the body's first byte. */
  readonly at: number;
  /** Main-thread path: bytes per event-loop turn (>= body: all at once). */
  readonly sliceBytes: number;
  /** Pool threads for this body (0: main thread). */
  readonly threads: number;
  /** True once the stub is gone: the write stops and reports failure. */
  readonly stopped: () => boolean;
}

/** Writes the body; `done(false)` when a write failed (tmpfs full) or the stub went away meanwhile. */
export function writeBody(w: BodyWrite, done: (ok: boolean) => void): void {
  if (w.threads > 0 && w.body >= PARALLEL_MIN_BYTES) writeOnPool(w, done);
  else writeOnMainThread(w, done);
}

function writeOnMainThread(w: BodyWrite, done: (ok: boolean) => void): void {
  const step = (written: number): void => {
    if (w.stopped()) {
      done(false);
      return;
    }
    try {
      const end = Math.min(w.body, written + w.sliceBytes);
      // A short write is resumed with the bytes not yet written.
      while (written < end) written += writevSync(w.fd, sliceBuffers(w.buffers, written, end), w.at + written);
    } catch {
      done(false);
      return;
    }
    if (written >= w.body) done(true);
    else setImmediate(step, written);
  };
  step(0);
}

function writeOnPool(w: BodyWrite, done: (ok: boolean) => void): void {
  const ranges = Math.max(1, Math.min(w.threads, Math.floor(w.body / PARALLEL_MIN_RANGE)));
  // Ranges end on 4 KiB boundaries where possible, so no two threads copy into the same page.
  const step = Math.ceil(w.body / ranges / 4096) * 4096;
  let pending = 0;
  let failed = false;
  const finish = (ok: boolean): void => {
    if (!ok) failed = true;
    if (--pending === 0) done(!failed && !w.stopped());
  };
  const writeRange = (from: number, to: number): void => {
    writev(w.fd, sliceBuffers(w.buffers, from, to), w.at + from, (err, n) => {
      if (err !== null || n === 0 || failed) finish(false);
      else if (from + n < to) writeRange(from + n, to); // short write: the rest of this range
      else finish(true);
    });
  };
  for (let from = 0; from < w.body; from += step) {
    pending++;
    writeRange(from, Math.min(w.body, from + step));
  }
}
