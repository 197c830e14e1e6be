/**
 * A POSIX system shared-memory object as Triton and inferd open it: the file `/dev/shm/<key>` on Linux.
 * perf creates and fills its regions here, then registers them through the client.
 */
import { closeSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class ShmRegion {
  /** The key to register (`/name`). */
  readonly key: string;
  readonly byteSize: number;
  readonly #path: string;
  #fd: number | undefined;

  constructor(name: string, byteSize: number) {
    this.key = `/${name}`;
    this.byteSize = byteSize;
    this.#path = join('/dev/shm', name);
    this.#fd = openSync(this.#path, 'w+', 0o600);
    ftruncateSync(this.#fd, Math.max(1, byteSize));
  }

  write(bytes: Uint8Array, offset: number): void {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.#fd!, bytes, done, bytes.byteLength - done, offset + done);
  }

  /** Closes and unlinks (the server keeps its own mapping until it unregisters). */
  destroy(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    unlinkSync(this.#path);
  }
}
