/**
 * One input tensor of an inference request (tritonclient's InferInput): name, shape, datatype and either
 * its data (sent binary or as JSON / typed gRPC contents) or a shared-memory location.
 */
import type { DataType } from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from './errors.js';
import { checkDataType, encodeTensorData, shapeElements, type TensorData } from './tensor-data.js';

export interface SharedMemoryRef {
  readonly region: string;
  readonly byteSize: number;
  readonly offset: number;
}

export interface SetDataOptions {
  /**
   * HTTP: send the bytes after the JSON header (binary tensor extension) rather than in `data`.
   * gRPC: `raw_input_contents` rather than typed `contents`. Default true.
   */
  readonly binary?: boolean;
}

export class InferInput {
  readonly name: string;
  readonly datatype: DataType;
  #shape: number[];
  #bytes: Uint8Array | undefined;
  #binary = true;
  #shm: SharedMemoryRef | undefined;
  /** Extra tensor parameters sent as they are. */
  readonly parameters: Record<string, string | number | boolean> = {};

  constructor(name: string, shape: readonly number[], datatype: DataType | string) {
    this.name = name;
    this.#shape = [...shape];
    this.datatype = checkDataType(datatype);
  }

  get shape(): readonly number[] {
    return this.#shape;
  }

  setShape(shape: readonly number[]): this {
    this.#shape = [...shape];
    return this;
  }

  /**
   * Sets the values (row-major). The element count must match the shape. FP16/BF16 take numbers (encoded
   * here) or a Uint16Array of raw bits; BYTES takes strings (UTF-8) or Uint8Arrays; BOOL takes booleans.
   */
  setData(data: TensorData, options: SetDataOptions = {}): this {
    const { bytes, count } = encodeTensorData(this.datatype, data);
    const expected = shapeElements(this.#shape);
    if (count !== expected) {
      throw new InferenceServerError(
        `input '${this.name}': got ${count} elements for shape [${this.#shape.join(',')}] (${expected} elements)`,
        { code: GRPC_CODE.INVALID_ARGUMENT },
      );
    }
    const binary = options.binary ?? true;
    if (!binary && (this.datatype === 'FP16' || this.datatype === 'BF16')) {
      throw new InferenceServerError(`input '${this.name}': ${this.datatype} can only be sent in binary form`, { code: GRPC_CODE.INVALID_ARGUMENT });
    }
    this.#bytes = bytes;
    this.#binary = binary;
    this.#shm = undefined;
    return this;
  }

  /** Sets already-encoded little-endian tensor bytes (BYTES: length-prefixed elements), always sent binary. */
  setRawData(bytes: Uint8Array): this {
    this.#bytes = bytes;
    this.#binary = true;
    this.#shm = undefined;
    return this;
  }

  /** The data is `byteSize` bytes at `offset` of a registered shared-memory region. */
  setSharedMemory(region: string, byteSize: number, offset = 0): this {
    this.#shm = { region, byteSize, offset };
    this.#bytes = undefined;
    return this;
  }

  /** Encoded tensor bytes, undefined when the input uses shared memory or has no data yet. */
  get bytes(): Uint8Array | undefined {
    return this.#bytes;
  }

  get binary(): boolean {
    return this.#binary;
  }

  get sharedMemory(): SharedMemoryRef | undefined {
    return this.#shm;
  }

  /** Throws when neither data nor shared memory was set (callers check before sending). */
  requireData(): void {
    if (this.#bytes === undefined && this.#shm === undefined) {
      throw new InferenceServerError(`input '${this.name}' has no data: call setData() or setSharedMemory()`, { code: GRPC_CODE.INVALID_ARGUMENT });
    }
  }
}
