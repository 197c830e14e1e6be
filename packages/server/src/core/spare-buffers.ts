import { releaseBuffers } from './release-buffers.js';
import type { InferenceRequest } from './request.js';
import type { Tensor } from './tensor.js';

/**
 * Large ArrayBuffers kept for reuse between requests. A fresh allocation of tens of MB is a fresh
 * mmap: every 4 KiB page then faults and is zeroed by the kernel on first write, which costs several
 * times the copy itself (measured: a 64 MB shm request took two such allocations, ~32k page faults,
 * ~160 ms CPU). A buffer a request no longer needs (an input buffer its backend thread is done with) is
 * put back here; the next request of the same byte size takes it instead of allocating.
 *
 * Only buffers that nothing else references may be put back, and a taker must overwrite every byte it
 * exposes: a spare holds the previous request's bytes. Held buffers are dropped after IDLE_MS without
 * use, so an idle server keeps none of this memory.
 */

/**
 * Buffers smaller than this are cheap to allocate (the allocator reuses its heap): not kept. 256 KiB, so
 * that image-sized bodies (a 600 KB FP32 224×224×3 input) are reused too, not only multi-MB ones.
 */
export const SPARE_MIN_BYTES = 1 << 18;
const MAX_HELD_BYTES = 256 * 2 ** 20;
const MAX_HELD = 8;
/** Of one byte size: a closed loop of c clients needs about c; more would only pin memory. */
const MAX_HELD_PER_SIZE = 4;
const IDLE_MS = 1000;

class SpareBuffers {
  readonly #held: ArrayBuffer[] = [];
  #heldBytes = 0;
  #lastUse = 0;
  #timer: NodeJS.Timeout | undefined;

  /** A held buffer of exactly `byteLength` bytes (old contents), or undefined. */
  take(byteLength: number): ArrayBuffer | undefined {
    if (byteLength < SPARE_MIN_BYTES) return undefined;
    const i = this.#held.findIndex((b) => b.byteLength === byteLength);
    if (i < 0) return undefined;
    const [buffer] = this.#held.splice(i, 1);
    this.#heldBytes -= byteLength;
    this.#lastUse = Date.now();
    return buffer;
  }

  /** Keeps `buffer` for a later `take` (nothing else may use it any more); the oldest go first when full. */
  give(buffer: ArrayBuffer): void {
    const size = buffer.byteLength;
    if (size < SPARE_MIN_BYTES || size > MAX_HELD_BYTES || this.#held.includes(buffer)) return;
    // What goes is freed now (releaseBuffers), not left to a later GC: its memory is then the allocator's
    // to reuse for the next allocation (a backend's next output), and V8 sees its external memory shrink.
    const dropped: ArrayBuffer[] = [];
    let sameSize = 0;
    for (const b of this.#held) if (b.byteLength === size) sameSize++;
    if (sameSize >= MAX_HELD_PER_SIZE) dropped.push(...this.#remove(this.#held.findIndex((b) => b.byteLength === size)));
    while (this.#held.length >= MAX_HELD || this.#heldBytes + size > MAX_HELD_BYTES) dropped.push(...this.#remove(0));
    if (dropped.length > 0) releaseBuffers(dropped.map((b) => new Uint8Array(b)));
    this.#held.push(buffer);
    this.#heldBytes += size;
    this.#lastUse = Date.now();
    this.#armIdle();
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Frees every held buffer. */
  clear(): void {
    const held = this.#held.splice(0);
    this.#heldBytes = 0;
    releaseBuffers(held.map((b) => new Uint8Array(b)));
  }

  #remove(index: number): ArrayBuffer[] {
    const removed = this.#held.splice(index, 1);
    for (const b of removed) this.#heldBytes -= b.byteLength;
    return removed;
  }

  #armIdle(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#held.length === 0) return;
      if (Date.now() - this.#lastUse >= IDLE_MS) this.clear();
      else this.#armIdle();
    }, IDLE_MS);
    this.#timer.unref();
  }
}

/** One per thread: frontends take from it; backends give finished input buffers, frontends written outputs. */
export const spareBuffers = new SpareBuffers();

/**
 * `byteLength` bytes in an ArrayBuffer of their own, from offset 0: a spare when one fits, else
 * allocUnsafeSlow (never Node's shared pool, no zero-fill). The caller overwrites every byte it exposes.
 */
export function ownBuffer(byteLength: number): Buffer {
  const spare = spareBuffers.take(byteLength);
  return spare !== undefined ? Buffer.from(spare, 0, byteLength) : Buffer.allocUnsafeSlow(byteLength);
}

/**
 * A backend's call once nothing reads these requests' inputs any more (copied into a stub's region, or run
 * inline by a session whose outputs are new buffers): the ArrayBuffers each request owns alone
 * (InferenceRequest.ownsBuffer) go back to the spare pool, so the next body of that size is not a fresh
 * allocation for the GC to track.
 */
export function reuseOwnedInputs(requests: readonly InferenceRequest[]): void {
  for (const request of requests) {
    for (const t of request.inputs) {
      const buffer = t.data.buffer;
      if (request.ownsBuffer(buffer)) spareBuffers.give(buffer as ArrayBuffer);
    }
  }
}

/**
 * Output buffers a backend made for one response alone (an ONNX run's fresh output ArrayBuffer): once the
 * frontend has written that response's bytes out, nothing reads them again. Without this, each large
 * output stays allocated until V8 collects it, and V8 counts it as external memory: a 4 MB reply per
 * request triggered a major GC every few requests, and the next output was a fresh mmap (page faults).
 */
const releasable = new WeakSet<ArrayBuffer>();

/** Marks `buffer` as backing outputs of one response and nothing else (a backend's call). */
export function markReleasable(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && buffer.byteLength >= SPARE_MIN_BYTES) releasable.add(buffer);
}

/**
 * A frontend's call once `outputs` are written (socket write finished, shared memory filled) and will not
 * be read again: marked buffers go to the spare pool (the next request's input of that size is read into
 * one), or are freed when the pool has enough. Deferred to the next turn: a trace recording tensors reads
 * the response right after the frontend's sink returns.
 */
export function releaseWritten(outputs: readonly Tensor[]): void {
  // Runs for every reply: no array unless something was marked.
  let found: ArrayBuffer[] | undefined;
  for (const t of outputs) found = collectMarked(t.data, found);
  if (found !== undefined) giveBackLater(found);
}

/** `releaseWritten` for the written views themselves (a reply's pieces). */
export function releaseWrittenViews(views: readonly Uint8Array[]): void {
  let found: ArrayBuffer[] | undefined;
  for (const v of views) found = collectMarked(v, found);
  if (found !== undefined) giveBackLater(found);
}

function collectMarked(view: Uint8Array, found: ArrayBuffer[] | undefined): ArrayBuffer[] | undefined {
  const b = view.buffer;
  if (!(b instanceof ArrayBuffer) || !releasable.delete(b)) return found;
  (found ??= []).push(b);
  return found;
}

function giveBackLater(buffers: readonly ArrayBuffer[]): void {
  setImmediate(() => {
    for (const b of buffers) spareBuffers.give(b);
  });
}
