/**
 * `POST /v2/models/{m}[/versions/{v}]/infer` (spec §1.5, §2): body decompression, JSON header and
 * binary blobs, raw binary requests, the call into InferenceServer, the encoded (and maybe compressed)
 * reply. The client closing its socket aborts the request through its AbortSignal.
 */
import { INFERENCE_HEADER_CONTENT_LENGTH, parseHeaderLength, splitBinaryBody } from '@inferd/protocol';
import { ServerError, type InferenceRequestInit, type InferenceResponse } from '../../core/index.js';
import { compress, decompress, requestEncoding, responseEncoding, UNSUPPORTED_ENCODING } from './compression.js';
import type { HandlerContext, HttpCall } from './context.js';
import { decodeInferRequest } from './infer-decode.js';
import { encodeInferResponse } from './infer-encode.js';
import { rawInput } from './raw-request.js';
import { JSON_TYPE, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import { parseRequestJson } from './request-json.js';

const HEADER_KEY = INFERENCE_HEADER_CONTENT_LENGTH.toLowerCase();

interface Prepared {
  readonly init: Omit<InferenceRequestInit, 'signal'>;
  readonly binaryOutputs: ReadonlyMap<string, boolean> | undefined;
  readonly defaultBinary: boolean;
}

async function prepare(ctx: HandlerContext, call: HttpCall, model: string, version: string): Promise<Prepared> {
  const encoding = requestEncoding(call.req.headers['content-encoding']);
  if (encoding === undefined) throw ServerError.unsupported(UNSUPPORTED_ENCODING);
  const body = encoding === 'identity' ? call.body : await decompress(call.body, encoding, ctx.maxInputSize);
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
    return { init: { modelName: model, modelVersion: version, inputs: [input] }, binaryOutputs: undefined, defaultBinary: true };
  }
  const { header, binary } = splitBinaryBody(body, headerLength);
  const decoded = decodeInferRequest(parseRequestJson(header), binary, model);
  const f = decoded.fields;
  const init: Omit<InferenceRequestInit, 'signal'> = {
    modelName: model,
    modelVersion: version,
    id: decoded.id,
    inputs: decoded.inputs,
    ...(decoded.outputs === undefined ? {} : { outputs: decoded.outputs }),
    ...(f.parameters === undefined ? {} : { parameters: f.parameters }),
    ...(f.priority === undefined ? {} : { priority: f.priority }),
    ...(f.timeoutUs === undefined ? {} : { timeoutUs: f.timeoutUs }),
    ...(f.correlationId === undefined ? {} : { correlationId: f.correlationId }),
    ...(f.flags === undefined ? {} : { flags: f.flags }),
  };
  return { init, binaryOutputs: decoded.binaryOutputs, defaultBinary: f.binaryDataOutput };
}

/** Triton resolves the model before it reads the body: an unknown model wins over a bad body. */
function modelErrorFirst(ctx: HandlerContext, model: string, version: string): void {
  ctx.server.modelMetadata(model, version);
}

/** Core words the decoupled refusal for its own single-response API; HTTP clients expect Triton's text. */
function httpWording(err: unknown): unknown {
  if (err instanceof ServerError && err.code === 'UNSUPPORTED' && err.message.includes('decoupled')) {
    return ServerError.unsupported("HTTP end point doesn't support models with decoupled transaction policy");
  }
  return err;
}

function runInfer(ctx: HandlerContext, call: HttpCall, init: Omit<InferenceRequestInit, 'signal'>): Promise<InferenceResponse> {
  const controller = new AbortController();
  const res = call.res;
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return ctx.server.infer({ ...init, signal: controller.signal });
}

export async function handleInfer(ctx: HandlerContext, call: HttpCall, model: string, version: string): Promise<Reply> {
  if (call.req.method !== 'POST') return METHOD_NOT_ALLOWED;
  let prepared: Prepared;
  try {
    prepared = await prepare(ctx, call, model, version);
  } catch (err) {
    modelErrorFirst(ctx, model, version);
    throw err;
  }
  let response: InferenceResponse;
  try {
    response = await runInfer(ctx, call, prepared.init);
  } catch (err) {
    throw httpWording(err);
  }
  const encoded = encodeInferResponse(response, prepared.binaryOutputs, prepared.defaultBinary);
  let body: string | Buffer = encoded.json;
  const headers: Record<string, string | number> = {};
  let contentType = JSON_TYPE;
  if (encoded.blobs.length > 0) {
    const head = Buffer.from(encoded.json);
    body = Buffer.concat([head, ...encoded.blobs]);
    headers[INFERENCE_HEADER_CONTENT_LENGTH] = head.byteLength;
    contentType = 'application/octet-stream';
  }
  const encoding = responseEncoding(call.req.headers['accept-encoding']);
  if (encoding !== 'identity') {
    try {
      body = await compress(typeof body === 'string' ? Buffer.from(body) : body, encoding);
      headers['Content-Encoding'] = encoding;
    } catch {
      // Like Triton: a response that fails to compress goes out uncompressed.
    }
  }
  return { status: 200, body, contentType, headers };
}
