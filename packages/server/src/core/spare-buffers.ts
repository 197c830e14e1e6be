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
    while (this.#held.length >= MAX_HELD || this.#heldBytes + size > MAX_HELD_BYTES) {
      this.#heldBytes -= this.#held.shift()!.byteLength;
    }
    this.#held.push(buffer);
    this.#heldBytes += size;
    this.#lastUse = Date.now();
    this.#armIdle();
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Drops every held buffer (the GC frees them). */
  clear(): void {
    this.#held.length = 0;
    this.#heldBytes = 0;
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

/** One per thread: frontends take from it, the ONNX pool gives its threads' finished input buffers to it. */
export const spareBuffers = new SpareBuffers();

/**
 * `byteLength` bytes in an ArrayBuffer of their own, from offset 0: a spare when one fits, else
 * allocUnsafeSlow (never Node's shared pool, no zero-fill). The caller overwrites every byte it exposes.
 */
export function ownBuffer(byteLength: number): Buffer {
  const spare = spareBuffers.take(byteLength);
  return spare !== undefined ? Buffer.from(spare, 0, byteLength) : Buffer.allocUnsafeSlow(byteLength);
}
