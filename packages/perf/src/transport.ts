/**
 * How the load generator talks to a server: in-process (the InferenceServer API, no sockets) or
 * through @inferd/client over HTTP or gRPC. Requests are prepared once per input set so the hot path
 * only sends.
 */
import type { ModelMetadataLike } from './model-info.js';
import type { InputSet } from './input-data.js';

/** A request ready to send; opaque to the load generator. */
export interface PreparedRequest {
  readonly inputs: InputSet;
}

export interface Transport {
  readonly kind: string;
  modelMetadata(model: string, version: string): Promise<ModelMetadataLike>;
  modelConfig(model: string, version: string): Promise<Readonly<Record<string, unknown>>>;
  /** Statistics extension response (`{model_stats: [...]}`), undefined when the server has none. */
  modelStatistics(model: string, version: string): Promise<unknown>;
  /** Called once per input set before the load starts (encode bodies, register shm regions). */
  prepare(model: string, version: string, inputs: InputSet): Promise<PreparedRequest>;
  /** Resolves when the (final) response arrived; rejects with the server's error. */
  infer(request: PreparedRequest): Promise<void>;
  close(): Promise<void>;
}
