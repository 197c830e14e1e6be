/**
 * How code inside the server runs other models of the same server (Python BLS, ensemble steps) without
 * going through a frontend. The `InferenceServer` is one: it exists before its models load and is
 * handed to the loaders; while it is still starting it refuses with Triton's UNAVAILABLE.
 */
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
