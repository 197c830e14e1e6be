/**
 * How code inside the server runs other models of the same server (Python BLS, ensemble steps) without
 * going through a frontend. Models load before the `InferenceServer` exists, so loaders get a
 * `LateBoundInvoker` that the wiring binds to the server once it is built.
 */
import { ServerError } from './errors.js';
import type { InferenceRequestInit } from './request.js';
import type { InferenceResponse, ResponseSink } from './response.js';

export interface ModelInvoker {
  /** As `InferenceServer.inferStream`: validation errors throw, later errors arrive as a final error response. */
  inferStream(init: InferenceRequestInit, sink: ResponseSink): void;
  /** As `InferenceServer.infer`: one final response; rejects with a ServerError. */
  infer(init: InferenceRequestInit): Promise<InferenceResponse>;
  /** As `InferenceServer.modelReady` (Python `pb_utils.is_model_ready`); optional for other invokers. */
  modelReady?(name: string, version?: string): Promise<boolean>;
  /** As `InferenceServer.loadModel` (Python `pb_utils.load_model`). */
  loadModel?(name: string, parameters?: Readonly<Record<string, unknown>>): Promise<void>;
  /** As `InferenceServer.unloadModel` (Python `pb_utils.unload_model`). */
  unloadModel?(name: string, parameters?: Readonly<Record<string, unknown>>): Promise<void>;
}

export class LateBoundInvoker implements ModelInvoker {
  #target: ModelInvoker | undefined;

  bind(target: ModelInvoker): void {
    this.#target = target;
  }

  inferStream(init: InferenceRequestInit, sink: ResponseSink): void {
    this.#bound().inferStream(init, sink);
  }

  infer(init: InferenceRequestInit): Promise<InferenceResponse> {
    try {
      return this.#bound().infer(init);
    } catch (err) {
      return Promise.reject(ServerError.from(err));
    }
  }

  async modelReady(name: string, version?: string): Promise<boolean> {
    const target = this.#bound();
    if (target.modelReady === undefined) throw ServerError.unsupported('model readiness is not available to this caller');
    return target.modelReady(name, version);
  }

  async loadModel(name: string, parameters?: Readonly<Record<string, unknown>>): Promise<void> {
    const target = this.#bound();
    if (target.loadModel === undefined) throw ServerError.unsupported('model loading is not available to this caller');
    return target.loadModel(name, parameters);
  }

  async unloadModel(name: string, parameters?: Readonly<Record<string, unknown>>): Promise<void> {
    const target = this.#bound();
    if (target.unloadModel === undefined) throw ServerError.unsupported('model unloading is not available to this caller');
    return target.unloadModel(name, parameters);
  }

  #bound(): ModelInvoker {
    if (this.#target === undefined) {
      throw ServerError.of('SERVER_STARTING');
    }
    return this.#target;
  }
}
