/**
 * The registered regions of one kind of client shared memory (system or CUDA): their names in the namespace
 * both kinds share, status, unregister, and the use count by which a region unregistered while a request
 * still reads or writes it stays open until that request's lease ends. What differs between the kinds (how
 * a region is opened, closed, read and written) stays in each registry.
 */
import { ServerError } from './errors.js';
import type { SharedMemoryKind, SharedMemoryNames } from './shared-memory-names.js';

export interface TableRegion {
  readonly name: string;
  readonly byte_size: number;
}

interface Entry<R> {
  readonly region: R;
  users: number;
  /** Unregistered while in use: closed when the last user releases it. */
  retired: boolean;
}

export class RegionTable<R extends TableRegion> {
  readonly #regions = new Map<string, Entry<R>>();
  readonly #names: SharedMemoryNames;
  readonly #kind: SharedMemoryKind;
  readonly #close: (region: R) => void;

  constructor(names: SharedMemoryNames, kind: SharedMemoryKind, close: (region: R) => void) {
    this.#names = names;
    this.#kind = kind;
    this.#close = close;
  }

  /** Adds a region whose name the registry has already claimed. */
  add(region: R): void {
    this.#regions.set(region.name, { region, users: 0, retired: false });
  }

  /** Every region, or the one named; an unknown name is `notFound` (or the other kind's text). */
  status<S>(name: string | undefined, pick: (region: R) => S, notFound: string): S[] {
    if (name === undefined || name === '') return [...this.#regions.values()].map((e) => pick(e.region));
    const e = this.#regions.get(name);
    if (e === undefined) throw this.#names.otherKind(name, this.#kind) ?? ServerError.notFound(notFound);
    return [pick(e.region)];
  }

  /** Unregisters one region (unknown names and the other kind's names succeed) or, with no name, all of them. */
  unregister(name?: string): void {
    const names = name === undefined || name === '' ? [...this.#regions.keys()] : [name];
    for (const n of names) {
      const e = this.#regions.get(n);
      if (e === undefined) continue;
      this.#regions.delete(n);
      this.#names.release(n);
      e.retired = true;
      if (e.users === 0) this.#close(e.region);
    }
  }

  /**
   * Counts one user of region `name` once [offset, offset+byteSize) is inside it (Triton's bounds text
   * otherwise); `release` gives the use back (once) and closes a retired region with its last user.
   */
  lease(name: string, offset: number, byteSize: number, notFound: string): { readonly region: R; readonly release: () => void } {
    const e = this.#regions.get(name);
    if (e === undefined) throw ServerError.notFound(notFound);
    if (offset < 0 || byteSize < 0 || offset + byteSize > e.region.byte_size) {
      throw ServerError.invalidArg(`Invalid offset + byte size for shared memory region: '${name}'`);
    }
    e.users += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      e.users -= 1;
      if (e.users === 0 && e.retired) this.#close(e.region);
    };
    return { region: e.region, release };
  }

  /** Forgets every region and frees their names, without closing them (their owner went away). */
  forgetAll(): void {
    for (const n of this.#regions.keys()) this.#names.release(n);
    this.#regions.clear();
  }
}
