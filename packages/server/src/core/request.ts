import { ServerError } from './errors.js';
import { nowNs } from './clock.js';
import type { Tensor } from './tensor.js';
import type { InferenceResponse, Parameters, ResponseInit, ResponseSink } from './response.js';

/** An output the client asked for; `classification` > 0 turns it into top-k class strings (spec §3). */
export interface RequestedOutput {
  readonly name: string;
  readonly classification?: number;
}

/**
 * The part of an AbortSignal that core, schedulers and backends use. An AbortSignal is one; a frontend
 * may pass something cheaper (creating an AbortController costs ~2.7 µs, a tenth of a small request).
 * As with AbortSignal, listeners added after the abort are never called.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What a frontend or an embedding app passes to `InferenceServer.infer`. */
export interface InferenceRequestInit {
  readonly modelName: string;
  /** Protocol version string; empty/undefined = latest READY version. */
  readonly modelVersion?: string;
  readonly id?: string;
  readonly inputs: readonly Tensor[];
  /** Omitted = every model output. */
  readonly outputs?: readonly RequestedOutput[];
  readonly parameters?: Parameters;
  /** 0 = model default (spec §4.3). */
  readonly priority?: number;
  /** Queue timeout in µs; 0 = none. */
  readonly timeoutUs?: number;
  /** 0 / '' = not part of a sequence. */
  readonly correlationId?: bigint | string;
  /** TRITONSERVER_REQUEST_FLAG_SEQUENCE_START = 1, _END = 2. */
  readonly flags?: number;
  /** Aborts queued work (client disconnect, gRPC cancel). Any AbortSignal fits. */
  readonly signal?: CancelSignal;
  /**
   * ArrayBuffers that belong to this request alone and that nothing reads once the request is executed
   * (a frontend lists the buffers it allocated for this request's input bytes, never a pooled or shared
   * one). A backend may then move them to another thread (detach them) instead of copying. Requests made
   * from another request's inputs (ensemble steps, sequence executions, stand-ins) do not carry them.
   */
  readonly ownedBuffers?: readonly ArrayBuffer[];
}

/** Monotonic ns stamps (0 = not reached); stats are derived from them once, at release. */
export interface RequestTimestamps {
  received: number;
  queueStart: number;
  computeStart: number;
  computeInputEnd: number;
  computeOutputStart: number;
  computeEnd: number;
}

export const REQUEST_FLAG_SEQUENCE_START = 1;
export const REQUEST_FLAG_SEQUENCE_END = 2;

/**
 * A validated request on its way through scheduler and backend. It carries its own sink, signal and
 * timestamps; the backend answers through `respond` / `respondError` and nothing else calls back up.
 */
export class InferenceRequest {
  readonly id: string;
  readonly modelName: string;
  /** The resolved version serving this request. */
  readonly modelVersion: number;
  readonly inputs: readonly Tensor[];
  /** Names of the outputs the backend must produce (all model outputs when the client named none). */
  readonly requestedOutputs: readonly RequestedOutput[];
  readonly parameters: Parameters;
  readonly priority: number;
  readonly timeoutUs: number;
  readonly correlationId: bigint | string;
  readonly flags: number;
  readonly signal: CancelSignal | undefined;
  /** Leading dim when the model batches, else 1. */
  readonly batchSize: number;
  readonly timestamps: RequestTimestamps;
  #sink: ResponseSink;
  #done = false;
  #inputsByName: Map<string, Tensor> | undefined;
  #ownedBuffers: readonly ArrayBuffer[] | undefined;

  constructor(fields: {
    init: InferenceRequestInit;
    modelVersion: number;
    requestedOutputs: readonly RequestedOutput[];
    batchSize: number;
    received: number;
    sink: ResponseSink;
  }) {
    const { init } = fields;
    this.id = init.id ?? '';
    this.modelName = init.modelName;
    this.modelVersion = fields.modelVersion;
    this.inputs = init.inputs;
    this.requestedOutputs = fields.requestedOutputs;
    this.parameters = init.parameters ?? {};
    this.priority = init.priority ?? 0;
    this.timeoutUs = init.timeoutUs ?? 0;
    this.correlationId = init.correlationId ?? '';
    this.flags = init.flags ?? 0;
    this.signal = init.signal;
    this.batchSize = fields.batchSize;
    this.timestamps = {
      received: fields.received, queueStart: 0, computeStart: 0, computeInputEnd: 0, computeOutputStart: 0, computeEnd: 0,
    };
    this.#sink = fields.sink;
    this.#ownedBuffers = init.ownedBuffers;
  }

  /** True when `buffer` was handed over with the request for it alone (init `ownedBuffers`): a backend may detach it. */
  ownsBuffer(buffer: ArrayBufferLike): boolean {
    const owned = this.#ownedBuffers;
    return owned !== undefined && buffer instanceof ArrayBuffer && owned.includes(buffer);
  }

  /** Something will read the inputs after execution (a trace recording tensors): no buffer may be detached. */
  keepInputs(): void {
    this.#ownedBuffers = undefined;
  }

  input(name: string): Tensor | undefined {
    this.#inputsByName ??= new Map(this.inputs.map((t) => [t.name, t]));
    return this.#inputsByName.get(name);
  }

  get isCancelled(): boolean {
    return this.signal?.aborted === true;
  }

  /** True once the final response has been sent; later responses are dropped. */
  get isDone(): boolean {
    return this.#done;
  }

  stamp(point: keyof RequestTimestamps): void {
    this.timestamps[point] = nowNs();
  }

  respond(init: ResponseInit, final = true): void {
    this.#emit({ outputs: init.outputs ?? [], parameters: init.parameters, final });
  }

  respondError(err: unknown): void {
    this.#emit({ outputs: [], error: ServerError.from(err), final: true });
  }

  #emit(part: Pick<InferenceResponse, 'outputs' | 'parameters' | 'error' | 'final'>): void {
    if (this.#done) return;
    if (part.final) {
      this.#done = true;
      if (this.timestamps.computeStart > 0 && this.timestamps.computeEnd === 0) this.stamp('computeEnd');
    }
    const response: InferenceResponse = {
      id: this.id,
      modelName: this.modelName,
      modelVersion: String(this.modelVersion),
      outputs: part.outputs,
      final: part.final,
      ...(part.parameters === undefined ? {} : { parameters: part.parameters }),
      ...(part.error === undefined ? {} : { error: part.error }),
    };
    this.#sink(response);
  }
}
