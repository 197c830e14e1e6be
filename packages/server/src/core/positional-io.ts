/**
 * Positional reads and writes on a file descriptor that either move every byte or throw, and anonymous
 * tmpfs files. System shared memory regions, the Python stub's body files and the CUDA memory agent's
 * staging file are all plain descriptors read and written this way: one copy, no native addon.
 */
import { closeSync, existsSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const SHM_DIR = '/dev/shm';
let anonymousCounter = 0;

/** Fills `into` from `position` on; `onShort` makes the error for a file that ends first. */
export function readFullySync(fd: number, into: Uint8Array, position: number, onShort: () => Error): void {
  let got = 0;
  while (got < into.byteLength) {
    const n = readSync(fd, into, got, into.byteLength - got, position + got);
    if (n === 0) throw onShort();
    got += n;
  }
}

/** Writes all of `data` at `position` (a short write is resumed with the bytes not yet written). */
export function writeFullySync(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done, position + done);
}

/**
 * A file in /dev/shm created, opened read-write and unlinked at once, so nothing is left behind whoever
 * exits first; undefined where there is no /dev/shm or it cannot be created. `tag` names it while it exists.
 */
export function anonymousShmFile(tag: string): number | undefined {
  if (!existsSync(SHM_DIR)) return undefined;
  try {
    const path = join(SHM_DIR, `${tag}-${process.pid}-${++anonymousCounter}`);
    const fd = openSync(path, 'w+', 0o600);
    unlinkSync(path);
    return fd;
  } catch {
    return undefined;
  }
}

/** Closes `fd`, ignoring a descriptor already closed. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
