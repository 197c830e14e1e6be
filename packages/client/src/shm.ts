/**
 * `@inferd/client/shm` (Node only): system shared-memory regions as Triton and inferd open them, i.e.
 * POSIX shm objects = files `/dev/shm/<key without its leading '/'>` on Linux. Create a region, write
 * input tensors into it, register it with `registerSystemSharedMemory(name, key, byteSize)`, point inputs
 * and outputs at it with `setSharedMemory(name, byteSize, offset)`, and read the outputs back.
 */
import { closeSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { elementByteSize, type DataType, type NumericArray } from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from './errors.js';
import { checkDataType, decodeBytesTensor, decodeTensorData, encodeTensorData, type TensorData } from './tensor-data.js';

/** Where POSIX shm objects live on Linux. */
export const SHM_DIR = '/dev/shm';

function invalid(message: string): InferenceServerError {
  return new InferenceServerError(message, { code: GRPC_CODE.INVALID_ARGUMENT });
}

function shmPath(key: string): string {
  const name = key.replace(/^\/+/, '');
  if (name === '' || name.includes('/')) throw invalid(`invalid shared memory key '${key}': one name, optionally with a leading '/'`);
  return join(SHM_DIR, name);
}

export class SystemSharedMemoryRegion {
  /** The key to register (`/name`). */
  readonly key: string;
  readonly path: string;
  readonly byteSize: number;
  #fd: number | undefined;

  private constructor(key: string, path: string, fd: number, byteSize: number) {
    this.key = key.startsWith('/') ? key : `/${key}`;
    this.path = path;
    this.#fd = fd;
    this.byteSize = byteSize;
  }

  /** Creates (or truncates) the shm object `key` with `byteSize` zero bytes (tritonclient's create_shared_memory_region). */
  static create(key: string, byteSize: number): SystemSharedMemoryRegion {
    const path = shmPath(key);
    const fd = openSync(path, 'w+', 0o600);
    ftruncateSync(fd, byteSize);
    return new SystemSharedMemoryRegion(key, path, fd, byteSize);
  }

  /** Opens an existing shm object (e.g. one another process created). */
  static open(key: string): SystemSharedMemoryRegion {
    const path = shmPath(key);
    const fd = openSync(path, 'r+');
    return new SystemSharedMemoryRegion(key, path, fd, fstatSync(fd).size);
  }

  #handle(offset: number, length: number): number {
    if (this.#fd === undefined) throw invalid(`shared memory region '${this.key}' is closed`);
    if (!Number.isInteger(offset) || offset < 0 || offset + length > this.byteSize) {
      throw invalid(`${length} bytes at offset ${offset} do not fit in shared memory region '${this.key}' of ${this.byteSize} bytes`);
    }
    return this.#fd;
  }

  /** Writes raw bytes at `offset`. */
  write(bytes: Uint8Array, offset = 0): void {
    const fd = this.#handle(offset, bytes.byteLength);
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done, offset + done);
  }

  /** Encodes values of `datatype` (as InferInput.setData) at `offset`; returns the byte size written. */
  writeTensor(datatype: DataType | string, data: TensorData, offset = 0): number {
    const { bytes } = encodeTensorData(checkDataType(datatype), data);
    this.write(bytes, offset);
    return bytes.byteLength;
  }

  /** Writes tensors one after another from `offset` (tritonclient's set_shared_memory_region); returns their byte offsets. */
  writeTensors(tensors: ReadonlyArray<{ readonly datatype: DataType | string; readonly data: TensorData }>, offset = 0): number[] {
    const offsets: number[] = [];
    let at = offset;
    for (const t of tensors) {
      offsets.push(at);
      at += this.writeTensor(t.datatype, t.data, at);
    }
    return offsets;
  }

  /** Reads `byteSize` raw bytes at `offset` (a copy). */
  read(byteSize: number, offset = 0): Uint8Array {
    const fd = this.#handle(offset, byteSize);
    const out = new Uint8Array(byteSize);
    let done = 0;
    while (done < byteSize) {
      const n = readSync(fd, out, done, byteSize - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return out;
  }

  /** Reads `count` elements of a fixed-size `datatype` at `offset` (tritonclient's get_contents_as_numpy). */
  readTensor(datatype: DataType | string, count: number, offset = 0): NumericArray {
    const dt = checkDataType(datatype);
    if (dt === 'BYTES') throw invalid('BYTES tensors have no typed array: use readStrings()');
    return decodeTensorData(dt, this.read(count * elementByteSize(dt), offset));
  }

  /** Reads a length-prefixed BYTES tensor of `byteSize` bytes at `offset` as UTF-8 strings. */
  readStrings(byteSize: number, offset = 0): string[] {
    const utf8 = new TextDecoder();
    return decodeBytesTensor(this.read(byteSize, offset)).map((b) => utf8.decode(b));
  }

  /** Closes this process's handle; the shm object stays for others. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Closes and removes the shm object (tritonclient's destroy_shared_memory_region). Unregister it first. */
  destroy(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
