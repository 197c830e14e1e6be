/**
 * Shared-memory tensors of one infer request (spec §1.8), for both frontends: inputs read their bytes
 * out of a registered region, outputs are written into one. Every region is leased from the moment the
 * request is decoded until it is answered, so an unregister in between waits for this request.
 */
import {
  ownBuffer, ServerError, type CudaSharedMemory, type CudaSharedMemoryLease, type InferenceResponse, type SharedMemoryLease,
  type SystemSharedMemory,
} from '../../core/index.js';

/** Both registries; a region name belongs to one of them (one namespace). */
export interface ShmRegistries {
  readonly system: SystemSharedMemory;
  readonly cuda: CudaSharedMemory;
}

type Lease = SharedMemoryLease | CudaSharedMemoryLease;

/** The shm parameters of one tensor, as the client sent them. */
export interface ShmTensorRef {
  readonly region: string;
  /** `shared_memory_offset`, default 0. */
  readonly offset: number;
  /** `shared_memory_byte_size`, default 0 as in Triton (a missing size then fails the byte-size check). */
  readonly byteSize: number;
}

/**
 * Inputs from this size on get a buffer of their own (allocUnsafeSlow). Below it the copy is cheap and a
 * pooled buffer is cheaper than a fresh allocation; pooled buffers are shared and never handed over.
 */
export const OWNED_MIN_BYTES = 64 * 1024;

export class ShmTensors {
  readonly #memory: ShmRegistries;
  readonly #leases: Lease[] = [];
  readonly #outputs = new Map<string, Lease>();
  /** CUDA copies started for this request: device -> host reads at decode, host -> device writes at reply. */
  #copies: Promise<void>[] = [];
  /** The buffers readInput allocated for this request alone (see `ownedBuffers`). */
  readonly #owned: ArrayBuffer[] = [];

  constructor(memory: ShmRegistries) {
    this.#memory = memory;
  }

  #acquire(ref: ShmTensorRef): Lease {
    let lease: Lease;
    try {
      lease = this.#memory.system.names.kindOf(ref.region) === 'cuda'
        ? this.#memory.cuda.acquire(ref.region, ref.offset, ref.byteSize)
        : this.#memory.system.acquire(ref.region, ref.offset, ref.byteSize);
    } catch (err) {
      // The infer path words an unknown region without "system", as Triton's shm manager does.
      if (err instanceof ServerError && err.code === 'NOT_FOUND') {
        throw ServerError.notFound(`Unable to find shared memory region: '${ref.region}'`);
      }
      throw err;
    }
    this.#leases.push(lease);
    return lease;
  }

  /**
   * The bytes of an input tensor (a copy: the region may change once the request is answered). A large
   * one is read into a buffer of its own, which the request then owns: a backend may move it to its
   * thread instead of copying it again. Small ones stay in Node's pool and are never handed over.
   */
  readInput(ref: ShmTensorRef): Buffer {
    const lease = this.#acquire(ref);
    if (lease.kind === 'cuda') return this.#fetch(lease);
    if (lease.byteSize < OWNED_MIN_BYTES) return lease.read(0, lease.byteSize);
    // A spare from an earlier request or a fresh one; the read overwrites every byte (or throws).
    const buf = ownBuffer(lease.byteSize);
    lease.readInto(0, buf);
    this.#owned.push(buf.buffer as ArrayBuffer);
    return buf;
  }

  /** A CUDA input's buffer, filled by the copy started now: `fetchInputs` waits for it before the request runs. */
  #fetch(lease: CudaSharedMemoryLease): Buffer {
    const buf = lease.byteSize < OWNED_MIN_BYTES ? Buffer.allocUnsafe(lease.byteSize) : ownBuffer(lease.byteSize);
    if (lease.byteSize >= OWNED_MIN_BYTES) this.#owned.push(buf.buffer as ArrayBuffer);
    this.#track(lease.readInto(0, buf));
    return buf;
  }

  #track(copy: Promise<void>): void {
    copy.catch(() => undefined); // awaited by fetchInputs/writeOutputs' caller; a request failed meanwhile drops it
    this.#copies.push(copy);
  }

  /** Settles once every CUDA input is in its buffer; undefined when the request has none (the synchronous path). */
  fetchInputs(): Promise<void> | undefined {
    if (this.#copies.length === 0) return undefined;
    return Promise.all(this.#copies).then(() => undefined);
  }

  /** ArrayBuffers read for this request's inputs that belong to it alone (InferenceRequestInit `ownedBuffers`). */
  get ownedBuffers(): readonly ArrayBuffer[] {
    return this.#owned;
  }

  /** Reserves the region of an output now, so bounds errors come before inference. */
  bindOutput(name: string, ref: ShmTensorRef): void {
    this.#outputs.set(name, this.#acquire(ref));
  }

  isOutput(name: string): boolean {
    return this.#outputs.has(name);
  }

  get hasOutputs(): boolean {
    return this.#outputs.size > 0;
  }

  /**
   * Writes every shm output of `response` into its region; a region too small is Triton's INTERNAL error.
   * CUDA outputs are copied asynchronously: the promise settles once they are in device memory (the
   * output buffers must live until then); undefined when every write was synchronous.
   */
  writeOutputs(response: InferenceResponse): Promise<void> | undefined {
    const writes: Promise<void>[] = [];
    for (const t of response.outputs) {
      const lease = this.#outputs.get(t.name);
      if (lease === undefined) continue;
      if (t.data.byteLength > lease.byteSize) {
        throw ServerError.internal(
          `shared memory size specified with the request for output '${t.name}' (${lease.byteSize} bytes) ` +
            `should be at least ${t.data.byteLength} bytes to hold the results`,
        );
      }
      if (lease.kind === 'system') {
        lease.write(0, t.data);
        continue;
      }
      const write = lease.write(0, t.data);
      this.#track(write);
      writes.push(write);
    }
    return writes.length === 0 ? undefined : Promise.all(writes).then(() => undefined);
  }

  /** Ends every lease, once the CUDA copies in flight are done; safe to call more than once. */
  release(): void {
    if (this.#copies.length > 0) {
      const copies = this.#copies;
      this.#copies = [];
      void Promise.allSettled(copies).then(() => this.release());
      return;
    }
    for (const lease of this.#leases) lease.release();
    this.#leases.length = 0;
    this.#outputs.clear();
  }
}

/** Where one request's shm tensors are leased; `tensors` is created on first use (most requests have none). */
export interface ShmContext {
  readonly memory: ShmRegistries | undefined;
  tensors: ShmTensors | undefined;
}

/** The request's lease holder, created on first use; an unknown region when shm is absent is NOT_FOUND. */
export function shmTensors(ctx: ShmContext, region: string): ShmTensors {
  if (ctx.memory === undefined) throw ServerError.notFound(`Unable to find shared memory region: '${region}'`);
  ctx.tensors ??= new ShmTensors(ctx.memory);
  return ctx.tensors;
}
