/**
 * One namespace for every client shared memory region, system and CUDA alike: Triton keeps both kinds
 * in one map, so a name registered as one kind is taken for the other ("already in manager"), a status
 * of the other kind's name says which kind it is, and an infer request's `shared_memory_region` finds
 * its region whatever the kind.
 */
import { ServerError } from './errors.js';

export type SharedMemoryKind = 'system' | 'cuda';

export class SharedMemoryNames {
  readonly #kinds = new Map<string, SharedMemoryKind>();

  /** Takes `name` for `kind`; a name already taken (either kind, or a register still opening) is ALREADY_EXISTS. */
  claim(name: string, kind: SharedMemoryKind): void {
    if (this.#kinds.has(name)) {
      throw new ServerError('ALREADY_EXISTS', `shared memory region '${name}' already in manager`);
    }
    this.#kinds.set(name, kind);
  }

  release(name: string): void {
    this.#kinds.delete(name);
  }

  kindOf(name: string): SharedMemoryKind | undefined {
    return this.#kinds.get(name);
  }

  /**
   * The NOT_FOUND error for a status of `name` as `asked` when the name is the other kind's, as Triton
   * words it; undefined when it is not.
   */
  otherKind(name: string, asked: SharedMemoryKind): ServerError | undefined {
    const kind = this.#kinds.get(name);
    if (kind === undefined || kind === asked) return undefined;
    const [is, not] = kind === 'cuda' ? ['CUDA', 'system'] : ['system', 'CUDA'];
    return ServerError.notFound(`The region named '${name}' is registered as ${is} shared memory, not ${not} shared memory`);
  }
}
