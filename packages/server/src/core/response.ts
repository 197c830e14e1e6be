import type { ServerError } from './errors.js';
import type { Tensor } from './tensor.js';

/** Request and response parameter values (KServe v2 `parameters`). */
export type ParameterValue = string | number | boolean;
export type Parameters = Readonly<Record<string, ParameterValue>>;

/** One response to an inference request. Non-decoupled models send exactly one, with `final: true`. */
export interface InferenceResponse {
  readonly id: string;
  readonly modelName: string;
  /** The version that served the request, as a string (protocol form). */
  readonly modelVersion: string;
  /** Outputs in production order; empty on error and on flag-only final responses. */
  readonly outputs: readonly Tensor[];
  readonly parameters?: Parameters;
  readonly error?: ServerError;
  readonly final: boolean;
}

/** What a backend hands to `InferenceRequest.respond`. */
export interface ResponseInit {
  readonly outputs?: readonly Tensor[];
  readonly parameters?: Parameters;
}

/** Receives every response of one request, the last one with `final: true`. */
export type ResponseSink = (response: InferenceResponse) => void;
