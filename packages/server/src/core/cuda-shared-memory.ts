/**
 * CUDA shared memory regions registered by clients (spec §1.8): a client's cudaIpcMemHandle_t, opened
 * at register time by a `CudaIpc` (the CUDA memory agent of devices/, plugged in by create-server:
 * Node cannot call CUDA itself), then read (device -> host) for inputs and written (host -> device) for
 * outputs. Copies are asynchronous, so leases answer with promises; frontends/common/shm-tensors.ts
 * fetches inputs before a request is submitted and writes outputs back before the reply goes out.
 * Same --allow-client-shm gate and the same namespace as the system registry.
 */
import { ServerError } from './errors.js';
import { CLIENT_SHM_DISABLED } from './shared-memory.js';
import { SharedMemoryNames } from './shared-memory-names.js';
import { RegionTable } from './shm-region-table.js';

/** sizeof(cudaIpcMemHandle_t). */
export const CUDA_IPC_HANDLE_BYTES = 64;

export const CUDA_HANDLE_INVALID = "'raw_handle' must be a valid base64 encoded cudaIpcMemHandle_t";

/** One client allocation opened by a CudaIpc. */
export interface CudaMapping {
  /** Why the mapping is gone (its agent exited), or undefined while it is usable. */
  readonly lostReason: string | undefined;
}

/**
 * Why an open failed: `no-cuda` when this machine cannot run CUDA at all (no libcuda.so.1, no device,
 * cuInit failed), `invalid` when the handle, device or size is refused, `failed` for anything else.
 */
export type CudaIpcFailure = 'no-cuda' | 'invalid' | 'failed';

export class CudaIpcError extends Error {
  readonly failure: CudaIpcFailure;
  constructor(failure: CudaIpcFailure, message: string) {
    super(message);
    this.failure = failure;
  }
}

/** The process side of CUDA shared memory: opens client handles and copies bytes to and from them. */
export interface CudaIpc {
  /** Opens `handle` on `deviceId`, checking that the allocation holds `byteSize` bytes; rejects with CudaIpcError. */
  open(handle: Uint8Array, deviceId: number, byteSize: number): Promise<CudaMapping>;
  /** Copies `into.byteLength` bytes at `offset` of the allocation into `into`; rejects with a ServerError. */
  read(mapping: CudaMapping, offset: number, into: Uint8Array): Promise<void>;
  /** Copies `data` to `offset` of the allocation; resolves once the bytes are in device memory. */
  write(mapping: CudaMapping, offset: number, data: Uint8Array): Promise<void>;
  /** Closes the mapping; nothing to wait for (a lost mapping has nothing left to close). */
  close(mapping: CudaMapping): void;
  /** Stops whatever the implementation runs (the agent process). */
  stop(): Promise<void>;
}

export interface CudaSharedMemoryRegionStatus {
  readonly name: string;
  readonly device_id: number;
  readonly byte_size: number;
}

interface CudaRegion extends CudaSharedMemoryRegionStatus {
  readonly mapping: CudaMapping;
}

/** A claim on a CUDA region for one request, shaped like SharedMemoryLease but with asynchronous copies. */
export interface CudaSharedMemoryLease {
  readonly kind: 'cuda';
  readonly byteSize: number;
  /** Copies `into.byteLength` bytes at `offset` (relative to the leased range) out of device memory. */
  readInto(offset: number, into: Uint8Array): Promise<void>;
  /** Copies `data` into device memory at `offset` (relative to the leased range). */
  write(offset: number, data: Uint8Array): Promise<void>;
  release(): void;
}

export interface CudaSharedMemoryOptions {
  readonly enabled: boolean;
  /** Shared with the system registry: one namespace. */
  readonly names?: SharedMemoryNames;
  /** Makes the CudaIpc at the first register; absent = a server that cannot open CUDA handles. */
  readonly ipc?: () => CudaIpc;
}

export class CudaSharedMemory {
  readonly enabled: boolean;
  readonly names: SharedMemoryNames;
  readonly #makeIpc: (() => CudaIpc) | undefined;
  #ipc: CudaIpc | undefined;
  readonly #regions: RegionTable<CudaRegion>;

  constructor(options: CudaSharedMemoryOptions) {
    this.enabled = options.enabled;
    this.names = options.names ?? new SharedMemoryNames();
    this.#makeIpc = options.ipc;
    this.#regions = new RegionTable<CudaRegion>(this.names, 'cuda', (r) => this.#ipc?.close(r.mapping));
  }

  /**
   * Opens the client's handle now, so a bad handle or a machine without CUDA fails the register, never a
   * later request. The name is taken while the open runs (a second register of it is ALREADY_EXISTS).
   */
  async register(name: string, handle: Uint8Array, deviceId: number, byteSize: number): Promise<void> {
    if (!this.enabled) throw ServerError.unsupported(CLIENT_SHM_DISABLED);
    if (handle.byteLength !== CUDA_IPC_HANDLE_BYTES) throw ServerError.invalidArg(CUDA_HANDLE_INVALID);
    this.names.claim(name, 'cuda');
    try {
      // Triton accepts a 0-byte region no tensor can use; refused here with its text for a bad size.
      if (!Number.isSafeInteger(byteSize) || byteSize <= 0 || !Number.isSafeInteger(deviceId) || deviceId < 0) {
        throw invalidArgs(name);
      }
      if (this.#makeIpc === undefined) throw notSupported(name, 'this server has no CUDA memory agent');
      this.#ipc ??= this.#makeIpc();
      const mapping = await this.#ipc.open(handle, deviceId, byteSize).catch((err: unknown) => {
        throw openError(name, err);
      });
      this.#regions.add({ name, device_id: deviceId, byte_size: byteSize, mapping });
    } catch (err) {
      this.names.release(name);
      throw err;
    }
  }

  /** Every region, or the one named; an unknown name is NOT_FOUND. */
  status(name?: string): CudaSharedMemoryRegionStatus[] {
    const pick = (r: CudaRegion): CudaSharedMemoryRegionStatus => ({ name: r.name, device_id: r.device_id, byte_size: r.byte_size });
    return this.#regions.status(name, pick, `Unable to find cuda shared memory region: '${name}'`);
  }

  /** Unregisters one region (unknown names and system regions' names succeed) or, with no name, all of them. */
  unregister(name?: string): void {
    if (!this.enabled) throw ServerError.unsupported(CLIENT_SHM_DISABLED);
    this.#regions.unregister(name);
  }

  /** Leases [offset, offset+byteSize) of a region for one request (Triton's bounds text otherwise). */
  acquire(name: string, offset: number, byteSize: number): CudaSharedMemoryLease {
    const { region: r, release } = this.#regions.lease(name, offset, byteSize, `Unable to find shared memory region: '${name}'`);
    if (r.mapping.lostReason !== undefined) {
      release();
      throw lost(name, r.mapping.lostReason);
    }
    const ipc = this.#ipc!;
    return {
      kind: 'cuda',
      byteSize,
      readInto: (at, into) => ipc.read(r.mapping, offset + at, into),
      write: (at, data) => ipc.write(r.mapping, offset + at, data),
      release,
    };
  }

  /** Stops the CUDA memory agent, if one was started. Registered regions are forgotten with it. */
  async stop(): Promise<void> {
    this.#regions.forgetAll();
    const ipc = this.#ipc;
    this.#ipc = undefined;
    await ipc?.stop();
  }
}

function invalidArgs(name: string): ServerError {
  return ServerError.invalidArg(`failed to register shared memory region '${name}': invalid args`);
}

/** A CPU-only Triton's text, with why this machine cannot run CUDA. */
function notSupported(name: string, why: string): ServerError {
  return ServerError.invalidArg(`failed to register CUDA shared memory region: '${name}', GPUs not supported (${why})`);
}

/** Triton's register texts for an open that failed; Triton only logs the CUDA detail, inferd adds it in brackets. */
function openError(name: string, err: unknown): ServerError {
  if (err instanceof CudaIpcError) {
    if (err.failure === 'no-cuda') return notSupported(name, err.message);
    if (err.failure === 'invalid') {
      return ServerError.invalidArg(`failed to register shared memory region '${name}': invalid args (${err.message})`);
    }
    return ServerError.internal(`failed to register shared memory region '${name}': ${err.message}`);
  }
  return ServerError.from(err);
}

export function lost(name: string, reason: string): ServerError {
  return ServerError.internal(`CUDA shared memory region '${name}' is lost (${reason}); unregister it and register it again`);
}
