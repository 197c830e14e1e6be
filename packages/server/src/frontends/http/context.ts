import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InferenceServer } from '../../core/index.js';

/** What every handler gets: the server API and this frontend's settings. */
export interface HandlerContext {
  readonly server: InferenceServer;
  readonly maxInputSize: number;
  /** `--http-header-forward-pattern` (infer only). */
  headerForwardPattern?: RegExp;
}

/** One request as the handlers see it: the body is already read (and bounded). */
export interface HttpCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: Buffer;
  /** The body's ArrayBuffer is this request's alone (see body.ts `BodyDone`). */
  readonly owned: boolean;
  /** Monotonic ns around the body read (HTTP_RECV_START/END); stamped only while a tracer is attached. */
  readonly recvStartNs?: number;
  readonly recvEndNs?: number;
}
