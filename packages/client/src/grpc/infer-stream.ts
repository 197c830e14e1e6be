/**
 * One ModelStreamInfer stream (spec §5.3): `send` writes requests, iterating yields every response in
 * arrival order. A request's failure arrives in-band (`error`, the stream stays open); `final` tells
 * the last response of a request (`triton_final_response`, or an error). A stream-level failure (gRPC
 * status other than the caller's own cancel) makes the iteration throw an InferenceServerError.
 */
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { InferenceServerError } from '../errors.js';
import type { InferInput } from '../infer-input.js';
import type { InferResult } from '../infer-result.js';
import { buildInferRequest, parseInferResponse, shmOutputNames, type GrpcInferOptions } from './infer-message.js';

export type StreamInferOptions = Omit<GrpcInferOptions, 'signal' | 'timeoutMs' | 'headers' | 'compression'>;

export interface StreamResponse {
  /** The response (undefined when `error` is set). */
  readonly result: InferResult<pb.ModelInferResponse> | undefined;
  /** The server's in-band error for one request (`error_message`). */
  readonly error: InferenceServerError | undefined;
  /** Id of the request this answers (as sent; may be ''). */
  readonly requestId: string;
  /** Whether this is the last response of its request. */
  readonly final: boolean;
}

type Call = ClientDuplexStream<pb.ModelInferRequestInit, pb.ModelStreamInferResponse>;

export class InferStream implements AsyncIterable<StreamResponse> {
  readonly #call: Call;
  readonly #queue: StreamResponse[] = [];
  readonly #waiters: Array<{ resolve(r: IteratorResult<StreamResponse>): void; reject(e: unknown): void }> = [];
  /** Shm outputs per request id, so their empty raw entries are not read as data. */
  readonly #shm = new Map<string, Set<string>>();
  #done = false;
  #failure: InferenceServerError | undefined;
  #cancelled = false;

  constructor(call: Call) {
    this.#call = call;
    call.on('data', (m: pb.ModelStreamInferResponse) => this.#push(this.#response(m)));
    call.on('error', (err: ServiceError) => {
      if (!this.#cancelled) this.#failure = new InferenceServerError(err.details || err.message, { code: err.code, cause: err });
      this.#finish();
    });
    call.on('end', () => this.#finish());
  }

  /** Writes one request on the stream. Ids let responses be matched to requests (tritonclient needs them too). */
  send(model: string, inputs: readonly InferInput[], options: StreamInferOptions = {}): void {
    if (this.#done) throw new InferenceServerError('the stream is closed');
    const shm = shmOutputNames(options);
    if (shm.size > 0) this.#shm.set(options.requestId ?? '', shm);
    this.#call.write(buildInferRequest(model, inputs, options));
  }

  /** No more requests: the iteration ends once the server has answered the ones sent. */
  end(): void {
    this.#call.end();
  }

  /** Cancels the stream (pending requests are cancelled on the server); the iteration ends. */
  cancel(): void {
    this.#cancelled = true;
    this.#call.cancel();
  }

  #response(m: pb.ModelStreamInferResponse): StreamResponse {
    const r = m.infer_response;
    const requestId = r?.id ?? '';
    if (m.error_message !== '') {
      return { result: undefined, error: new InferenceServerError(m.error_message), requestId, final: true };
    }
    const flag = r?.parameters.triton_final_response;
    const final = flag === undefined ? true : flag.bool_param === true;
    const result = parseInferResponse(r!, this.#shm.get(requestId) ?? new Set(), final);
    return { result, error: undefined, requestId, final };
  }

  #push(item: StreamResponse): void {
    const w = this.#waiters.shift();
    if (w !== undefined) w.resolve({ value: item, done: false });
    else this.#queue.push(item);
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    for (const w of this.#waiters.splice(0)) {
      if (this.#failure !== undefined) w.reject(this.#failure);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<StreamResponse>> {
    const item = this.#queue.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#done) {
      if (this.#failure !== undefined) {
        const f = this.#failure;
        this.#failure = undefined;
        return Promise.reject(f);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamResponse> {
    return {
      next: () => this.next(),
      // Leaving a for-await loop early cancels the stream.
      return: () => {
        if (!this.#done) this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
