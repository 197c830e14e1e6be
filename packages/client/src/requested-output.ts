/** One output asked for by name (tritonclient's InferRequestedOutput): binary or JSON, top-k classification, shm. */
import type { SharedMemoryRef } from './infer-input.js';

export interface RequestedOutputOptions {
  /** HTTP: return the tensor after the JSON header rather than in `data` (default true). Meaningless on gRPC. */
  readonly binary?: boolean;
  /** > 0: return the top `classCount` classes as `"score:index[:label]"` strings (classification extension). */
  readonly classCount?: number;
}

export class InferRequestedOutput {
  readonly name: string;
  readonly binary: boolean;
  readonly classCount: number;
  #shm: SharedMemoryRef | undefined;
  /** Extra tensor parameters sent as they are. */
  readonly parameters: Record<string, string | number | boolean> = {};

  constructor(name: string, options: RequestedOutputOptions = {}) {
    this.name = name;
    this.binary = options.binary ?? true;
    this.classCount = options.classCount ?? 0;
  }

  /** The server writes this output into `byteSize` bytes at `offset` of a registered region. */
  setSharedMemory(region: string, byteSize: number, offset = 0): this {
    this.#shm = { region, byteSize, offset };
    return this;
  }

  unsetSharedMemory(): this {
    this.#shm = undefined;
    return this;
  }

  get sharedMemory(): SharedMemoryRef | undefined {
    return this.#shm;
  }
}
