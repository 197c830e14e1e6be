/**
 * ModelStreamInfer (spec §5.3): one bidirectional stream, requests run concurrently. Responses of
 * non-decoupled models are written in request order (as Triton does); decoupled models answer
 * 0..N times as responses arrive. Every response carries `triton_final_response`; a decoupled
 * model's flag-only completion is sent as an empty response only with
 * `triton_enable_empty_final_response`. Errors are in-band (`error_message`) unless the client
 * opened the stream with metadata `triton_grpc_error: true`, in which case the first error ends the
 * stream with its gRPC status. Cancellation (or that error) aborts the stream's queued requests; a
 * client half-close lets in-flight requests finish, then the server ends the stream.
 */
import type { pb } from '@inferd/protocol';
import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import { ServerError, type InferenceResponse, type InferenceServer, type ModelSpec } from '../../core/index.js';
import { afterInputs, decodeAfterModelCheck, withTraceOrigin } from './handle-infer.js';
import { releaseShmAfterFinal } from '../common/infer-lifecycle.js';
import { encodeInferResponse } from './infer-encode.js';
import type { DecodedInfer } from './infer-decode.js';
import type { ShmTensors } from '../common/shm-tensors.js';
import { toGrpcError } from './status-map.js';

type Out = pb.ModelStreamInferResponseInit;
type Call = ServerDuplexStream<pb.ModelInferRequest, Out>;

/** A position in the ordered output of non-decoupled requests. */
interface Slot {
  message: Out | undefined;
}

const FINAL = { triton_final_response: { bool_param: true } };
const NOT_FINAL = { triton_final_response: { bool_param: false } };

function wantsGrpcErrors(call: Call): boolean {
  return call.metadata.get('triton_grpc_error').some((v) => String(v).toLowerCase() === 'true');
}

class StreamSession {
  readonly #server: InferenceServer;
  readonly #call: Call;
  readonly #grpcErrors: boolean;
  readonly #controller = new AbortController();
  readonly #order: Slot[] = [];
  #active = 0;
  #clientEnded = false;
  #ended = false;

  constructor(server: InferenceServer, call: Call) {
    this.#server = server;
    this.#call = call;
    this.#grpcErrors = wantsGrpcErrors(call);
    call.on('data', (req: pb.ModelInferRequest) => this.#onRequest(req));
    call.on('end', () => {
      this.#clientEnded = true;
      this.#finishIfDone();
    });
    call.on('cancelled', () => this.#abort());
    call.on('error', () => this.#abort());
  }

  #abort(): void {
    this.#ended = true;
    this.#controller.abort();
  }

  #onRequest(req: pb.ModelInferRequest): void {
    if (this.#ended) return;
    this.#active += 1;
    let decoded: DecodedInfer;
    try {
      decoded = decodeAfterModelCheck(this.#server, req);
    } catch (err) {
      this.#fail(this.#slot(), ServerError.from(err), req.id, req.model_name, req.model_version);
      return;
    }
    // A request with CUDA inputs is submitted once they are fetched (its order among the stream's
    // responses then follows its submission, not its arrival).
    afterInputs(decoded.shm, () => this.#submit(req, decoded),
      (err) => this.#fail(this.#slot(), ServerError.from(err), req.id, req.model_name, req.model_version));
  }

  #submit(req: pb.ModelInferRequest, decoded: DecodedInfer): void {
    const emptyFinal = decoded.enableEmptyFinalResponse;
    const shm = decoded.shm;
    // Set from the model's spec at its lookup, before any response can arrive: a decoupled model's
    // responses go out as they come, the others take their place in request order.
    let found = false;
    let decoupled = false;
    let slot: Slot | undefined;
    const onModel = (spec: ModelSpec): void => {
      found = true;
      decoupled = spec.decoupled;
      if (!decoupled) slot = this.#slot();
    };
    try {
      const init = { ...decoded.init, signal: this.#controller.signal };
      const traced = this.#server.tracer?.enabled !== true ? init : withTraceOrigin(init, this.#call.metadata.get('traceparent')[0]);
      this.#server.inferStream(traced, releaseShmAfterFinal(shm, (r) => this.#onResponse(r, slot, decoupled, emptyFinal, shm)), onModel);
    } catch (err) {
      shm?.release();
      // Refused before the model was found (unknown model, server stopping): it keeps its place in the order.
      this.#fail(found ? slot : this.#slot(), ServerError.from(err), req.id, req.model_name, req.model_version);
    }
  }

  #slot(): Slot {
    const slot: Slot = { message: undefined };
    this.#order.push(slot);
    return slot;
  }

  #onResponse(r: InferenceResponse, slot: Slot | undefined, decoupled: boolean, emptyFinal: boolean, shm: ShmTensors | undefined): void {
    if (r.error !== undefined) {
      this.#fail(slot, r.error, r.id, r.modelName, r.modelVersion);
      return;
    }
    let writing: Promise<void> | undefined;
    try {
      writing = shm?.writeOutputs(r);
    } catch (err) {
      this.#fail(slot, ServerError.from(err), r.id, r.modelName, r.modelVersion);
      return;
    }
    if (writing === undefined) this.#answer(r, slot, decoupled, emptyFinal, shm);
    else {
      writing.then(() => this.#answer(r, slot, decoupled, emptyFinal, shm),
        (err: unknown) => this.#fail(slot, ServerError.from(err), r.id, r.modelName, r.modelVersion));
    }
  }

  #answer(r: InferenceResponse, slot: Slot | undefined, decoupled: boolean, emptyFinal: boolean, shm: ShmTensors | undefined): void {
    const flagOnly = decoupled && r.final && r.outputs.length === 0 && r.parameters === undefined;
    if (flagOnly) {
      if (emptyFinal) {
        this.#deliver(slot, {
          infer_response: { id: r.id, model_name: r.modelName, model_version: r.modelVersion, parameters: FINAL },
        });
      }
    } else {
      this.#deliver(slot, { infer_response: encodeInferResponse(r, r.final ? FINAL : NOT_FINAL, shm) });
    }
    if (r.final) this.#done();
  }

  /** One request failed (before or during inference); it is finished. */
  #fail(slot: Slot | undefined, err: ServerError, id: string, model: string, version: string): void {
    if (this.#grpcErrors) {
      if (!this.#ended) {
        this.#abort();
        this.#call.emit('error', toGrpcError(err));
      }
      return;
    }
    this.#deliver(slot, { error_message: err.message, infer_response: { id, model_name: model, model_version: version } });
    this.#done();
  }

  #done(): void {
    this.#active -= 1;
    this.#finishIfDone();
  }

  #deliver(slot: Slot | undefined, message: Out): void {
    if (this.#ended) return;
    if (slot === undefined) {
      this.#call.write(message);
      return;
    }
    slot.message = message;
    // Non-decoupled responses leave in request order: write the completed head of the queue.
    while (this.#order.length > 0 && this.#order[0]!.message !== undefined) {
      this.#call.write(this.#order.shift()!.message!);
    }
  }

  #finishIfDone(): void {
    if (this.#ended || !this.#clientEnded || this.#active > 0 || this.#order.length > 0) return;
    this.#ended = true;
    this.#call.end();
  }
}

export function modelStreamInferHandler(server: InferenceServer): handleBidiStreamingCall<pb.ModelInferRequest, Out> {
  return (call) => {
    new StreamSession(server, call);
  };
}
