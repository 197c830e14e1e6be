/**
 * `POST /v2/models/{m}[/versions/{v}]/infer` (spec §1.5, §2): body decompression, JSON header and
 * binary blobs, raw binary requests, the call into InferenceServer, the encoded (and maybe compressed)
 * reply. The client closing its connection aborts the request through its signal.
 *
 * This is the hot path, so it runs without promises when nothing is compressed: the reply is handed to
 * `done` from the response sink (for synchronous backends, before `handleInfer` returns).
 */
import { INFERENCE_HEADER_CONTENT_LENGTH, parseHeaderLength, splitBinaryBody } from '@inferd/protocol';
import { releaseWritten, ServerError, type InferenceRequestInit, type InferenceResponse } from '../../core/index.js';
import type { TracedRequestInit } from '../../core/observability-hooks.js';
import { settled, watchClient } from './client-signal.js';
import { compress, decompress, requestEncoding, responseEncoding } from './compression.js';
import type { HandlerContext, HttpCall } from './context.js';
import { decodeInferRequest } from './infer-decode.js';
import { encodeInferResponse } from './infer-encode.js';
import { rawInput } from './raw-request.js';
import { forwardedHeaders } from '../common/restricted-apis.js';
import type { ShmTensors } from '../common/shm-tensors.js';
import { modelErrorFirst, releaseShmAfterFinal, traceOrigin } from '../common/infer-lifecycle.js';
import { JSON_TYPE, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import { parseRequestJson } from './request-json.js';

const HEADER_KEY = INFERENCE_HEADER_CONTENT_LENGTH.toLowerCase();
const BINARY_TYPE = 'application/octet-stream';

/** Called once with the error to report or the reply to write. */
export type InferDone = (err: unknown, reply?: Reply) => void;

type Writable<T> = { -readonly [K in keyof T]: T[K] };

interface Prepared {
  readonly init: Writable<InferenceRequestInit>;
  readonly binaryOutputs: ReadonlyMap<string, boolean> | undefined;
  readonly defaultBinary: boolean;
  /** Shm tensor leases, released when the final response (or error) arrives. */
  readonly shm: ShmTensors | undefined;
}

function prepare(ctx: HandlerContext, call: HttpCall, body: Buffer, model: string, version: string): Prepared {
  const headerValue = call.req.headers[HEADER_KEY];
  let headerLength = body.byteLength;
  if (typeof headerValue === 'string') {
    headerLength = parseHeaderLength(headerValue);
    if (headerLength < 0 || headerLength > body.byteLength) {
      throw ServerError.invalidArg(`inference header size should be in range (0, ${body.byteLength}), got: ${headerValue}`);
    }
  }
  if (headerLength === 0) {
    const input = rawInput(ctx.server, model, version, body);
    const raw: Writable<InferenceRequestInit> = { modelName: model, modelVersion: version, inputs: [input] };
    if (ownsBody(call, body)) raw.ownedBuffers = [body.buffer as ArrayBuffer];
    if (ctx.headerForwardPattern !== undefined) forwardHeaders(ctx.headerForwardPattern, call, raw);
    return { init: raw, binaryOutputs: undefined, defaultBinary: true, shm: undefined };
  }
  const { header, binary } = splitBinaryBody(body, headerLength);
  const decoded = decodeInferRequest(parseRequestJson(header), binary, model, ctx.server.shmRegistries);
  const f = decoded.fields;
  // Fields are set only when present (no spreads: this runs per request).
  const init: Writable<InferenceRequestInit> = { modelName: model, modelVersion: version, id: decoded.id, inputs: decoded.inputs };
  if (decoded.outputs !== undefined) init.outputs = decoded.outputs;
  if (f.parameters !== undefined) init.parameters = f.parameters;
  if (f.priority !== undefined) init.priority = f.priority;
  if (f.timeoutUs !== undefined) init.timeoutUs = f.timeoutUs;
  if (f.correlationId !== undefined) init.correlationId = f.correlationId;
  if (f.flags !== 0) init.flags = f.flags;
  if (ctx.headerForwardPattern !== undefined) forwardHeaders(ctx.headerForwardPattern, call, init);
  const owned = ownedBuffers(call, body, decoded.shm);
  if (owned !== undefined) init.ownedBuffers = owned;
  return { init, binaryOutputs: decoded.binaryOutputs, defaultBinary: f.binaryDataOutput, shm: decoded.shm };
}

/**
 * The body is the request's own when the reader assembled it (not a socket chunk) and it is not a
 * decompressed copy; nothing reads it after decoding, since the tensors are views into it.
 */
function ownsBody(call: HttpCall, body: Buffer): boolean {
  return call.owned && body === call.body && body.buffer instanceof ArrayBuffer;
}

/** What a backend may detach: the assembled body (binary inputs are views into it) and large shm inputs. */
function ownedBuffers(call: HttpCall, body: Buffer, shm: ShmTensors | undefined): ArrayBuffer[] | undefined {
  const fromShm = shm?.ownedBuffers;
  const hasBody = ownsBody(call, body);
  if (!hasBody && (fromShm === undefined || fromShm.length === 0)) return undefined;
  const owned = hasBody ? [body.buffer as ArrayBuffer] : [];
  if (fromShm !== undefined) owned.push(...fromShm);
  return owned;
}

/** `--http-header-forward-pattern`: matching headers join the request parameters as strings. */
function forwardHeaders(pattern: RegExp, call: HttpCall, init: Writable<InferenceRequestInit>): void {
  const forwarded = forwardedHeaders(pattern, Object.entries(call.req.headers));
  if (forwarded !== undefined) init.parameters = { ...init.parameters, ...forwarded };
}

/** Core words the decoupled refusal for its own single-response API; HTTP clients expect Triton's text. */
function httpWording(err: unknown): unknown {
  if (ServerError.isReason(err, 'DECOUPLED_SINGLE_RESPONSE')) {
    return ServerError.unsupported("HTTP end point doesn't support models with decoupled transaction policy");
  }
  return err;
}

function reply(call: HttpCall, prepared: Prepared, response: InferenceResponse, done: InferDone): void {
  // CUDA outputs go to device memory first; the reply (and the release of the output buffers) waits for them.
  const writing = prepared.shm?.writeOutputs(response);
  if (writing !== undefined) {
    writing.then(() => encodeReply(call, prepared, response, done), done);
    return;
  }
  encodeReply(call, prepared, response, done);
}

function encodeReply(call: HttpCall, prepared: Prepared, response: InferenceResponse, done: InferDone): void {
  const encoded = encodeInferResponse(response, prepared.binaryOutputs, prepared.defaultBinary, prepared.shm);
  let body: string | Buffer | Uint8Array[] = encoded.json;
  let headers: Record<string, string | number> | undefined;
  let contentType = JSON_TYPE;
  const encoding = responseEncoding(call.req.headers['accept-encoding']);
  let separate = false;
  if (encoded.blobs.length > 0) {
    const jsonBytes = Buffer.byteLength(encoded.json);
    separate = encoding === 'identity' && blobBytes(encoded.blobs) >= SEPARATE_BLOBS_BYTES;
    body = separate
      ? [typeof encoded.json === 'string' ? Buffer.from(encoded.json) : encoded.json, ...encoded.blobs]
      : joinBody(encoded.json, jsonBytes, encoded.blobs);
    headers = { [INFERENCE_HEADER_CONTENT_LENGTH]: jsonBytes };
    contentType = BINARY_TYPE;
  }
  // The outputs' own buffers are in the reply only when sent separately: then they may be reused once the
  // socket has taken them ('finish'; a reply never written leaves them to the GC). Otherwise they were
  // copied (joined, JSON, shared memory) and are done with now.
  if (separate) call.res.once('finish', () => releaseWritten(response.outputs));
  else releaseWritten(response.outputs);
  if (encoding === 'identity') {
    done(undefined, { status: 200, body, contentType, headers });
    return;
  }
  const raw = typeof body === 'string' ? Buffer.from(body) : (body as Buffer);
  compress(raw, encoding).then(
    (compressed) => done(undefined, { status: 200, body: compressed, contentType, headers: { ...headers, 'Content-Encoding': encoding } }),
    // Like Triton: a response that fails to compress goes out uncompressed.
    () => done(undefined, { status: 200, body: raw, contentType, headers }),
  );
}

/**
 * From this many output bytes on, the blobs go out as they are, after the header, each from its own
 * memory (the backend's output buffers): no second copy of a large tensor. Smaller replies are joined
 * into one buffer, as one write is cheaper than several for small bodies.
 */
const SEPARATE_BLOBS_BYTES = 64 * 1024;

function blobBytes(blobs: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of blobs) n += b.byteLength;
  return n;
}

/** The JSON header and the blobs in one buffer, allocated once. */
function joinBody(json: string | Buffer, jsonBytes: number, blobs: readonly Uint8Array[]): Buffer {
  let size = jsonBytes;
  for (const b of blobs) size += b.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = typeof json === 'string' ? out.write(json, 0, jsonBytes, 'utf8') : (out.set(json, 0), jsonBytes);
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/** What a trace needs from HTTP: receive stamps and the W3C `traceparent` header. */
function tagTraceOrigin(call: HttpCall, init: Writable<InferenceRequestInit>): void {
  const recv = { startNs: call.recvStartNs, endNs: call.recvEndNs };
  (init as Writable<TracedRequestInit>).traceOrigin = traceOrigin('HTTP', call.req.headers.traceparent, recv);
}

function run(ctx: HandlerContext, call: HttpCall, prepared: Prepared, done: InferDone): void {
  const socket = call.req.socket;
  const signal = watchClient(socket);
  prepared.init.signal = signal;
  if (ctx.server.tracer?.enabled === true) tagTraceOrigin(call, prepared.init);
  try {
    ctx.server.inferOnce(prepared.init, releaseShmAfterFinal(prepared.shm, (response) => {
      if (!response.final) return;
      settled(socket, signal);
      if (response.error !== undefined) {
        done(httpWording(response.error));
        return;
      }
      try {
        reply(call, prepared, response, done);
      } catch (err) {
        done(err);
      }
    }));
  } catch (err) {
    settled(socket, signal);
    prepared.shm?.release();
    done(httpWording(err));
  }
}

export function handleInfer(ctx: HandlerContext, call: HttpCall, model: string, version: string, done: InferDone): void {
  if (call.req.method !== 'POST') {
    done(undefined, METHOD_NOT_ALLOWED);
    return;
  }
  const encoding = requestEncoding(call.req.headers['content-encoding']);
  if (encoding === undefined) {
    done(modelErrorFirst(ctx.server, model, version, ServerError.of('UNSUPPORTED_ENCODING')));
    return;
  }
  if (encoding === 'identity') {
    proceed(ctx, call, call.body, model, version, done);
    return;
  }
  decompress(call.body, encoding, ctx.maxInputSize).then(
    (body) => proceed(ctx, call, body, model, version, done),
    (err: unknown) => done(modelErrorFirst(ctx.server, model, version, err)),
  );
}

function proceed(ctx: HandlerContext, call: HttpCall, body: Buffer, model: string, version: string, done: InferDone): void {
  let prepared: Prepared;
  try {
    prepared = prepare(ctx, call, body, model, version);
  } catch (err) {
    done(modelErrorFirst(ctx.server, model, version, err));
    return;
  }
  // CUDA inputs are copied out of device memory before the request is submitted.
  const fetching = prepared.shm?.fetchInputs();
  if (fetching === undefined) {
    run(ctx, call, prepared, done);
    return;
  }
  fetching.then(() => run(ctx, call, prepared, done), (err: unknown) => {
    prepared.shm!.release();
    done(err);
  });
}
