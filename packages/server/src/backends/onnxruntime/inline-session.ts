/**
 * A session run on the main thread, for models whose whole execution takes microseconds: there, the
 * hop to a pool thread (a postMessage each way, ~20-30 µs of main-thread CPU here) costs more than the
 * inference (ORT Identity on 16 floats: ~5 µs). The run is synchronous, through onnxruntime-node's
 * native binding (`dist/binding.js`, the object its own `InferenceSession` wraps): the public
 * `session.run()` defers the same synchronous call to a `setImmediate` (one more event-loop turn, and
 * no way to time the inference alone). Where the installed onnxruntime-node does not have that
 * binding, `open` returns undefined and models stay on the pool.
 */
import { createRequire } from 'node:module';
import type * as ort from 'onnxruntime-node';
import { ServerError } from '../../core/index.js';
import type { WireTensor, WorkerSessionOptions } from './types.js';
import { errorText, fromOrt, RUN_OPTIONS, toOrt, type TensorClass } from './wire-tensors.js';

interface NativeSession {
  loadModel(path: string, options: WorkerSessionOptions): void;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>, options: object): Record<string, ort.Tensor>;
  dispose(): void;
}

interface Native {
  readonly InferenceSession: new () => NativeSession;
  readonly initOrt: () => void;
  readonly Tensor: TensorClass;
}

let native: Native | null | undefined;

/** The native binding, or undefined when this onnxruntime-node is not shaped as expected. */
function nativeBinding(): Native | undefined {
  if (native === undefined) {
    native = null;
    try {
      const require = createRequire(import.meta.url);
      const ort = require('onnxruntime-node') as { Tensor?: TensorClass };
      const b = require('onnxruntime-node/dist/binding.js') as { binding?: { InferenceSession?: unknown }; initOrt?: unknown };
      const Session = b.binding?.InferenceSession;
      if (typeof Session === 'function' && typeof b.initOrt === 'function' && typeof ort.Tensor === 'function') {
        native = { InferenceSession: Session as Native['InferenceSession'], initOrt: b.initOrt as () => void, Tensor: ort.Tensor };
      }
    } catch {
      native = null;
    }
  }
  return native ?? undefined;
}

export interface InlineRun {
  readonly outputs: WireTensor[];
  /** Time of the native run alone, µs. */
  readonly runUs: number;
}

export class InlineSession {
  readonly #session: NativeSession;
  readonly #Tensor: TensorClass;
  /** The placement's reference plus one per run scheduled on it: a demotion or an unload that happens
   * while runs are queued (they start from a macrotask) frees the native session after the last one. */
  #refs = 1;

  private constructor(session: NativeSession, Tensor: TensorClass) {
    this.#session = session;
    this.#Tensor = Tensor;
  }

  /** Loads the model on this thread (synchronously); undefined when inline sessions are unavailable. */
  static open(modelPath: string, options: WorkerSessionOptions): InlineSession | undefined {
    const b = nativeBinding();
    if (b === undefined) return undefined;
    b.initOrt();
    const session = new b.InferenceSession();
    try {
      session.loadModel(modelPath, options);
    } catch (err) {
      throw ServerError.internal(`onnx runtime error: ${errorText(err)}`, err);
    }
    return new InlineSession(session, b.Tensor);
  }

  /** Runs one batch now, on this thread. Feeds may be views into request buffers: nothing is moved. */
  run(feeds: readonly WireTensor[], fetches: readonly string[]): InlineRun {
    if (this.#refs === 0) throw ServerError.unavailable('onnxruntime inline session was released');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const t of feeds) ortFeeds[t.name] = toOrt(this.#Tensor, t);
    const wanted: Record<string, null> = {};
    for (const f of fetches) wanted[f] = null;
    let results: Record<string, ort.Tensor>;
    const t0 = performance.now();
    try {
      results = this.#session.run(ortFeeds, wanted, RUN_OPTIONS);
    } catch (err) {
      throw ServerError.internal(`onnx runtime error: ${errorText(err)}`, err);
    }
    const runUs = (performance.now() - t0) * 1000;
    const outputs: WireTensor[] = [];
    for (const name of fetches) {
      const tensor = results[name];
      if (tensor !== undefined) outputs.push(fromOrt(name, tensor));
    }
    return { outputs, runUs };
  }

  /** One more reference (a scheduled run); each is given back with `release`. */
  retain(): this {
    if (this.#refs === 0) throw ServerError.unavailable('onnxruntime inline session was released');
    this.#refs++;
    return this;
  }

  /** Gives back one reference; the native session is freed with the last. */
  release(): void {
    if (this.#refs === 0) return;
    if (--this.#refs === 0) this.#session.dispose();
  }
}
