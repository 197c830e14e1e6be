/**
 * System (POSIX) shared memory regions registered by clients (spec §1.8). A POSIX shm object `/key` is
 * the file `/dev/shm/key` on Linux, so regions are plain file descriptors read and written with
 * positional I/O: one copy in, one copy out, no native addon. Off unless --allow-client-shm=true.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ServerError } from './errors.js';
import { readFullySync, writeFullySync } from './positional-io.js';
import { SharedMemoryNames } from './shared-memory-names.js';
import { RegionTable } from './shm-region-table.js';

export const CLIENT_SHM_DISABLED =
  "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";

export interface SharedMemoryRegionStatus {
  readonly name: string;
  readonly key: string;
  readonly offset: number;
  readonly byte_size: number;
}

interface Region extends SharedMemoryRegionStatus {
  readonly fd: number;
}

/** A claim on a region for the length of one request; `release` once the request is answered. */
export interface SharedMemoryLease {
  /** System regions are read and written synchronously (CUDA leases are `CudaSharedMemoryLease`). */
  readonly kind: 'system';
  /** Copies `byteSize` bytes at `offset` (relative to the registered offset) out of the region. */
  read(offset: number, byteSize: number): Buffer;
  /** Copies `into.byteLength` bytes at `offset` out of the region into `into` (no allocation). */
  readInto(offset: number, into: Uint8Array): void;
  /** Copies `data` into the region at `offset` (relative to the registered offset). */
  write(offset: number, data: Uint8Array): void;
  readonly byteSize: number;
  release(): void;
}

/**
 * Opens the shm object `key` read-write as glibc's shm_open does, so that a key reaches nothing but
 * a regular file directly in `root`: leading slashes are dropped, and the rest must be one path
 * component; O_NOFOLLOW refuses a symlink planted in /dev/shm (which would otherwise let a client
 * read and overwrite any file the server can); O_NONBLOCK keeps a FIFO from hanging the open, and
 * anything but a regular file is refused after it (Node opens every file close-on-exec). Every refusal is Triton's shm_open failure text.
 */
function openShmObject(root: string, key: string): number {
  const refused = () => ServerError.internal(`Unable to open shared memory region: '${key}'`);
  const objectName = key.replace(/^\/+/, '');
  if (objectName === '' || objectName.includes('/') || objectName === '.' || objectName === '..') throw refused();
  let fd: number;
  try {
    fd = openSync(join(root, objectName), constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    throw refused();
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw refused();
  }
  return fd;
}

export class SystemSharedMemory {
  readonly enabled: boolean;
  readonly #root: string;
  /** The region names shared with the CUDA registry (one namespace, as in Triton). */
  readonly names: SharedMemoryNames;
  readonly #regions: RegionTable<Region>;

  /** `root` is where shm objects live (`/dev/shm` on Linux; tests may point elsewhere). */
  constructor(options: { enabled: boolean; root?: string; names?: SharedMemoryNames }) {
    this.enabled = options.enabled;
    this.#root = options.root ?? '/dev/shm';
    this.names = options.names ?? new SharedMemoryNames();
    this.#regions = new RegionTable<Region>(this.names, 'system', (r) => closeSync(r.fd));
  }

  register(name: string, key: string, offset: number, byteSize: number): void {
    if (!this.enabled) throw ServerError.unsupported(CLIENT_SHM_DISABLED);
    this.names.claim(name, 'system');
    let fd: number;
    try {
      fd = openShmObject(this.#root, key);
    } catch (err) {
      this.names.release(name);
      throw err;
    }
    const size = fstatSync(fd).size;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(byteSize) || offset < 0 || byteSize < 0 || offset + byteSize > size) {
      closeSync(fd);
      this.names.release(name);
      throw ServerError.invalidArg(`failed to register shared memory region '${name}': invalid args`);
    }
    this.#regions.add({ name, key, offset, byte_size: byteSize, fd });
  }

  /** Every region, or the one named; an unknown name is NOT_FOUND. */
  status(name?: string): SharedMemoryRegionStatus[] {
    const pick = (r: Region): SharedMemoryRegionStatus => ({ name: r.name, key: r.key, offset: r.offset, byte_size: r.byte_size });
    return this.#regions.status(name, pick, `Unable to find system shared memory region: '${name}'`);
  }

  /** Unregisters one region (unknown names and CUDA regions' names succeed) or, with no name, all of them. */
  unregister(name?: string): void {
    if (!this.enabled) throw ServerError.unsupported(CLIENT_SHM_DISABLED);
    this.#regions.unregister(name);
  }

  /**
   * Leases a region for one request, checking that [offset, offset+byteSize) lies inside it (Triton's
   * "Invalid offset + byte size" error otherwise).
   */
  acquire(name: string, offset: number, byteSize: number): SharedMemoryLease {
    const { region: r, release } = this.#regions.lease(name, offset, byteSize, `Unable to find system shared memory region: '${name}'`);
    const base = r.offset + offset;
    const short = () => ServerError.internal(`short read from shared memory region '${name}'`);
    return {
      kind: 'system',
      byteSize,
      read: (at, size) => {
        const buf = Buffer.allocUnsafe(size);
        readFullySync(r.fd, buf, base + at, short);
        return buf;
      },
      readInto: (at, into) => readFullySync(r.fd, into, base + at, short),
      write: (at, data) => writeFullySync(r.fd, data, base + at),
      release,
    };
  }
}
