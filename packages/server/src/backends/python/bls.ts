/**
 * Python BLS and model control for one stub process: `InferenceRequest(...).exec()` / `async_exec()`
 * and `pb_utils.load_model` / `unload_model` / `is_model_ready` arrive as frames from the stub and run
 * through the core `ModelInvoker` (in-process, never HTTP); the answers go back as frames.
 *
 * Frames (stub -> server): `bls` {id, model, version, inputs, outputs, decoupled, parents, ...} + body,
 * `bls_cancel` {id}, `control` {id, op: ready|load|unload, ...}. Answers (server -> stub): `bls_resp`
 * {id, final, outputs, error?, parameters?} + body for each response, `control_result` {id, error?, ready?}.
 * As Triton's BLS, failures are error responses, never a broken call: the model checks `has_error()`.
 */
import {
  ServerError, type InferenceRequestInit, type InferenceResponse, type ModelInvoker, type Parameters,
} from '../../core/index.js';
import type { FrameHead } from './framing.js';
import { describeTensor, readTensors, type WireTensor } from './wire-tensors.js';

export interface BlsBridgeOptions {
  readonly invoker: ModelInvoker;
  /** The calling model, for messages. */
  readonly modelName: string;
  /** Sends one frame to the stub that made the calls; throws when it is gone. */
  readonly send: (head: FrameHead, buffers?: readonly Uint8Array[]) => void;
}

interface BlsCall {
  readonly abort: AbortController;
  /** Keys of the requests whose execute made the call; all cancelled -> the call is cancelled. */
  readonly parents: readonly number[];
}

/** A `bls` frame's header (see `_inferd_bls.py`). */
interface BlsHead {
  readonly id: number;
  readonly model: string;
  readonly version?: string;
  readonly request_id?: string;
  readonly correlation_id?: number | string;
  readonly corr_int?: boolean;
  readonly flags?: number;
  readonly timeout?: number;
  readonly parameters?: Record<string, string | number | boolean>;
  readonly outputs?: readonly string[];
  readonly inputs: readonly WireTensor[];
  readonly decoupled?: boolean;
  readonly parents?: readonly number[];
}

interface ControlHead {
  readonly id: number;
  readonly op: string;
  readonly model: string;
  readonly version?: string;
  readonly config?: string;
  readonly files?: Record<string, string>;
  readonly unload_dependents?: boolean;
}

export class BlsBridge {
  readonly #o: BlsBridgeOptions;
  readonly #calls = new Map<number, BlsCall>();
  #closed = false;

  constructor(options: BlsBridgeOptions) {
    this.#o = options;
  }

  /** BLS calls started and not answered in full yet. */
  get inFlight(): number {
    return this.#calls.size;
  }

  /** Starts one BLS call; every outcome, including a bad request, comes back as `bls_resp` frames. */
  call(head: BlsHead, body: Buffer, isCancelled: (key: number) => boolean): void {
    const id = head.id;
    const abort = new AbortController();
    const parents = head.parents ?? [];
    this.#calls.set(id, { abort, parents });
    let init: InferenceRequestInit;
    try {
      init = { ...requestInit(head, body, this.#o.modelName), signal: abort.signal };
    } catch (err) {
      this.#answerError(id, err);
      return;
    }
    // The outer request may have been cancelled before its execute got here.
    if (parents.length > 0 && parents.every(isCancelled)) abort.abort();
    if (head.decoupled !== true) {
      // exec(): exactly one response; a decoupled target is refused as ModelInfer refuses it.
      this.#o.invoker.infer(init).then(
        (r) => this.#answer(id, r, true),
        (err: unknown) => this.#answerError(id, decoupledHint(ServerError.from(err), head.model)),
      );
      return;
    }
    try {
      this.#o.invoker.inferStream(init, (r) => {
        if (r.error !== undefined) this.#answerError(id, r.error);
        else this.#answer(id, r, r.final);
      });
    } catch (err) {
      this.#answerError(id, err);
    }
  }

  /** `ResponseIterator.cancel()` in the model. */
  cancel(id: number): void {
    this.#calls.get(id)?.abort.abort();
  }

  /** The outer request `key` was cancelled: cancel the BLS calls made for it alone (or with others also cancelled). */
  parentCancelled(key: number, isCancelled: (key: number) => boolean): void {
    for (const call of this.#calls.values()) {
      if (call.parents.includes(key) && call.parents.every(isCancelled)) call.abort.abort();
    }
  }

  /** `load_model` / `unload_model` / `is_model_ready`. */
  control(head: ControlHead): void {
    this.#control(head).then(
      (extra) => this.#send({ t: 'control_result', id: head.id, ...extra }),
      (err: unknown) => {
        const e = ServerError.from(err);
        this.#send({ t: 'control_result', id: head.id, error: { code: e.code, message: e.message } });
      },
    );
  }

  async #control(head: ControlHead): Promise<Record<string, unknown>> {
    const invoker = this.#o.invoker;
    switch (head.op) {
      case 'ready': {
        if (invoker.modelReady === undefined) return { ready: false };
        // Unknown or not-loaded models are simply not ready (Triton answers False, not an error).
        const ready = await invoker.modelReady(head.model, head.version || undefined).catch(() => false);
        return { ready };
      }
      case 'load': {
        if (invoker.loadModel === undefined) throw ServerError.unavailable('model loading is not available');
        const parameters: Record<string, unknown> = {};
        if (head.config) parameters['config'] = head.config;
        for (const [path, base64] of Object.entries(head.files ?? {})) parameters[`file:${path}`] = base64;
        await invoker.loadModel(head.model, parameters);
        return {};
      }
      case 'unload': {
        if (invoker.unloadModel === undefined) throw ServerError.unavailable('model unloading is not available');
        await invoker.unloadModel(head.model, { unload_dependents: head.unload_dependents === true });
        return {};
      }
      default:
        throw ServerError.invalidArg(`unknown model control operation '${head.op}'`);
    }
  }

  /** The stub is gone: cancel what it was waiting for; later answers are dropped. */
  close(): void {
    this.#closed = true;
    for (const call of this.#calls.values()) call.abort.abort();
    this.#calls.clear();
  }

  #answer(id: number, response: InferenceResponse, final: boolean): void {
    const outputs = response.outputs.map(describeTensor);
    const head: Record<string, unknown> = { t: 'bls_resp', id, final, outputs };
    if (response.parameters !== undefined && Object.keys(response.parameters).length > 0) head['parameters'] = response.parameters;
    if (final) this.#calls.delete(id);
    this.#send(head as FrameHead, response.outputs.map((t) => t.data));
  }

  #answerError(id: number, err: unknown): void {
    const e = ServerError.from(err);
    this.#calls.delete(id);
    this.#send({ t: 'bls_resp', id, final: true, outputs: [], error: { code: e.code, message: e.message } });
  }

  #send(head: FrameHead, buffers: readonly Uint8Array[] = []): void {
    if (this.#closed) return;
    try {
      this.#o.send(head, buffers);
    } catch {
      // The stub exited; close() follows from its exit handler.
    }
  }
}

function requestInit(head: BlsHead, body: Buffer, caller: string): InferenceRequestInit {
  if (typeof head.model !== 'string' || head.model === '') {
    throw ServerError.invalidArg(`BLS request from model '${caller}' has no model_name`);
  }
  const { tensors } = readTensors(head.inputs, body, 0, caller);
  const corr = head.correlation_id;
  const correlationId = corr === undefined || corr === 0 || corr === '' || corr === '0'
    ? undefined
    : head.corr_int === true ? BigInt(corr) : String(corr);
  return {
    modelName: head.model,
    ...(head.version ? { modelVersion: head.version } : {}),
    ...(head.request_id ? { id: head.request_id } : {}),
    inputs: tensors,
    ...(head.outputs !== undefined && head.outputs.length > 0 ? { outputs: head.outputs.map((name) => ({ name })) } : {}),
    ...(head.parameters !== undefined ? { parameters: head.parameters as Parameters } : {}),
    ...(head.timeout ? { timeoutUs: head.timeout } : {}),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(head.flags ? { flags: head.flags } : {}),
  };
}

/** The server's ModelInfer wording names an RPC the model never used; say what to call instead. */
function decoupledHint(err: ServerError, model: string): ServerError {
  if (err.reason !== 'DECOUPLED_SINGLE_RESPONSE') return err;
  return ServerError.unsupported(
    `model '${model}' uses the decoupled transaction policy: call exec(decoupled=True) or async_exec(decoupled=True)`,
  );
}
