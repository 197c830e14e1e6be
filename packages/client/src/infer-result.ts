/**
 * The answer to one inference request, the same for both protocols: outputs by name as typed arrays or
 * strings, plus the raw response (HTTP JSON header or gRPC ModelInferResponse) for anything else.
 */
import { isDataType, jsonDataToBytes, type DataType, type NumericArray } from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from './errors.js';
import { decodeBytesTensor, decodeTensorData, shapeElements } from './tensor-data.js';

/** One output as the protocol layers hand it over: binary bytes, JSON `data`, or neither (shared memory). */
export interface ResultTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly bytes?: Uint8Array;
  readonly json?: unknown;
}

export interface OutputInfo {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface InferResultInit<Raw> {
  readonly id: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly outputs: readonly ResultTensor[];
  readonly raw: Raw;
  /** gRPC streams: whether this is the last response of its request (`triton_final_response`). */
  readonly final?: boolean;
}

const utf8 = new TextDecoder();

export class InferResult<Raw = unknown> {
  readonly id: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** Response parameters (gRPC values unwrapped from their InferParameter oneof). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Streams: true on the last response of a request; always true outside streams. */
  readonly final: boolean;
  readonly #outputs: Map<string, ResultTensor>;
  readonly #raw: Raw;

  constructor(init: InferResultInit<Raw>) {
    this.id = init.id;
    this.modelName = init.modelName;
    this.modelVersion = init.modelVersion;
    this.parameters = init.parameters;
    this.final = init.final ?? true;
    this.#outputs = new Map(init.outputs.map((o) => [o.name, o]));
    this.#raw = init.raw;
  }

  /** The raw response: HTTP's parsed JSON header, or gRPC's ModelInferResponse message. */
  response(): Raw {
    return this.#raw;
  }

  /** Names of the outputs in the response, in response order. */
  outputNames(): string[] {
    return [...this.#outputs.keys()];
  }

  /** Name, datatype, shape and parameters of an output; undefined if the response has no such output. */
  output(name: string): OutputInfo | undefined {
    const o = this.#outputs.get(name);
    return o === undefined ? undefined : { name: o.name, datatype: o.datatype, shape: o.shape, parameters: o.parameters };
  }

  /**
   * An output's values as the datatype's typed array (BOOL as 0/1 bytes, INT64/UINT64 as bigint arrays,
   * FP16/BF16 widened to Float32Array). Throws for BYTES (use asStrings) and for absent or shm outputs.
   */
  asTypedArray(name: string): NumericArray {
    const o = this.#tensor(name);
    return decodeTensorData(this.#dataType(o), this.#bytes(o));
  }

  /** A BYTES output's elements decoded as UTF-8 (classification results are BYTES). */
  asStrings(name: string): string[] {
    return this.asBytes(name).map((b) => utf8.decode(b));
  }

  /** A BYTES output's elements as raw bytes. */
  asBytes(name: string): Uint8Array[] {
    const o = this.#tensor(name);
    if (o.datatype !== 'BYTES') throw invalid(`output '${name}' is ${o.datatype}, not BYTES: use asTypedArray()`);
    return decodeBytesTensor(this.#bytes(o));
  }

  /** The output's little-endian tensor bytes (JSON outputs are encoded first). */
  rawBytes(name: string): Uint8Array {
    return this.#bytes(this.#tensor(name));
  }

  #tensor(name: string): ResultTensor {
    const o = this.#outputs.get(name);
    if (o === undefined) throw invalid(`output '${name}' is not in the response of model '${this.modelName}'`);
    return o;
  }

  #dataType(o: ResultTensor): DataType {
    if (!isDataType(o.datatype)) throw invalid(`output '${o.name}' has unknown datatype '${o.datatype}'`);
    return o.datatype;
  }

  #bytes(o: ResultTensor): Uint8Array {
    if (o.bytes !== undefined) return o.bytes;
    if (o.json !== undefined) {
      try {
        return jsonDataToBytes(o.name, this.#dataType(o), o.json, shapeElements(o.shape));
      } catch (err) {
        throw invalid(`output '${o.name}': ${(err as Error).message}`);
      }
    }
    throw invalid(`output '${o.name}' carries no data (it was written to shared memory)`);
  }
}

function invalid(message: string): InferenceServerError {
  return new InferenceServerError(message, { code: GRPC_CODE.INVALID_ARGUMENT });
}
