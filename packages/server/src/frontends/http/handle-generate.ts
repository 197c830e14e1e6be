/**
 * The generate extension (spec §1.9): `POST /v2/models/{m}[/versions/{v}]/generate` and
 * `/generate_stream`. A flat JSON object instead of tensors: keys naming a model input become that
 * input (datatype and shape from model metadata), other keys become request parameters; the keys of a
 * top-level `parameters` object are treated the same way. Each response becomes one flat JSON object.
 * Checks, their order and texts follow Triton's HTTPAPIServer::HandleGenerate.
 */
import type { ServerResponse } from 'node:http';
import {
  elementCount, formatJsonDouble, isDataType, jsonDataToBytes, JsonTensorError, tensorToJsonText,
} from '@inferd/protocol';
import {
  ServerError, type InferenceRequestInit, type InferenceResponse, type ParameterValue, type Tensor, type TensorMetadata,
} from '../../core/index.js';
import { requestEncoding } from './compression.js';
import type { HandlerContext, HttpCall } from './context.js';
import { asString, has, isObject, type JsonObject } from './json-access.js';
import { errorReply, JSON_TYPE, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import { membersOf, parseRequestJsonMembers } from './request-json.js';
import { SseReply } from './sse.js';
import { HTTP_STATUS_BY_CODE } from './status-map.js';

export const GENERATE_SINGLE_RESPONSE =
  'generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses';

/** The nested-schema keyword whose members are mapped like top-level keys. */
const PARAMETERS = 'parameters';

interface Converted {
  readonly inputs: Tensor[];
  readonly parameters: Record<string, ParameterValue>;
}

function tensorError(err: unknown): unknown {
  return err instanceof JsonTensorError ? new ServerError(err.code, err.message) : err;
}

/**
 * Triton's shape for a generate input: fixed dims (from the innermost) must divide the element count;
 * the innermost variable dim takes what is left, other variable dims (a batch dim) become 1.
 */
function fitShape(name: string, metaShape: readonly number[], count: number): number[] {
  const shape = [...metaShape];
  let left = count;
  const cannot = (): ServerError =>
    ServerError.invalidArg(`The schema can not convert input '${name}' to tensor with proper shape`);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === -1) continue;
    if (d === 0 || left % d !== 0) throw cannot();
    left /= d;
  }
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === -1) {
      shape[i] = left;
      left = 1;
    }
  }
  if (left !== 1) throw cannot();
  return shape;
}

/** A scalar becomes one element, an array (its top level) N elements. */
function toInput(name: string, meta: TensorMetadata, value: unknown): Tensor {
  if (!isDataType(meta.datatype)) throw ServerError.invalidArg(`invalid datatype for input ${name}`);
  const datatype = meta.datatype;
  const data = Array.isArray(value) ? value : [value];
  try {
    // BYTES: Triton sizes the strings before it fits the shape, other types read values after it.
    if (datatype === 'BYTES') {
      const bytes = jsonDataToBytes(name, datatype, data, data.length);
      return { name, datatype, shape: fitShape(name, meta.shape, data.length), data: bytes };
    }
    const shape = fitShape(name, meta.shape, data.length);
    return { name, datatype, shape, data: jsonDataToBytes(name, datatype, data, data.length) };
  } catch (err) {
    throw tensorError(err);
  }
}

function toParameter(key: string, value: unknown): ParameterValue {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw ServerError.invalidArg(`parameter '${key}' has invalid type. It should be either 'int', 'bool', or 'string'.`);
}

function convertMembers(
  json: JsonObject, inputs: ReadonlyMap<string, TensorMetadata>, out: Converted, top: boolean,
): void {
  // Every member, a repeated name included: a second member naming an input is refused as in Triton.
  for (const [key, value] of membersOf(json)) {
    if (top && key === PARAMETERS) {
      convertParameters(value, inputs, out);
      continue;
    }
    const meta = inputs.get(key);
    if (meta === undefined) {
      out.parameters[key] = toParameter(key, value);
      continue;
    }
    if (out.inputs.some((t) => t.name === key)) throw ServerError.invalidArg(`input '${key}' already exists in request`);
    out.inputs.push(toInput(key, meta, value));
  }
}

function convertParameters(value: unknown, inputs: ReadonlyMap<string, TensorMetadata>, out: Converted): void {
  if (inputs.has(PARAMETERS)) {
    throw ServerError.invalidArg(`Keyword '${PARAMETERS}' for nested schema also given as input tensor name`);
  }
  if (!isObject(value)) {
    throw ServerError.internal(`Expected JSON object for keyword: '${PARAMETERS}': attempt to access JSON non-object as object`);
  }
  try {
    convertMembers(value, inputs, out, false);
  } catch (err) {
    const e = ServerError.from(err);
    throw new ServerError(e.code, `Converting keyword: '${PARAMETERS}': ${e.message}`);
  }
}

function requestInit(body: Buffer, model: string, version: string, inputs: readonly TensorMetadata[]): InferenceRequestInit {
  const json = parseRequestJsonMembers(body);
  if (!isObject(json)) throw ServerError.internal('attempt to get members for non-object');
  const id = has(json, 'id') ? asString(json.id, "Unable to parse 'id'") : undefined;
  const out: Converted = { inputs: [], parameters: {} };
  // `id` is also mapped like any other key (a string parameter), as in Triton.
  convertMembers(json, new Map(inputs.map((t) => [t.name, t])), out, true);
  return {
    modelName: model,
    modelVersion: version,
    inputs: out.inputs,
    ...(id === undefined ? {} : { id }),
    ...(Object.keys(out.parameters).length === 0 ? {} : { parameters: out.parameters }),
  };
}

function parameterText(v: ParameterValue): string {
  if (typeof v !== 'number' || Number.isInteger(v)) return JSON.stringify(v);
  return formatJsonDouble(v);
}

function tensorText(t: Tensor): string {
  const n = elementCount(t.shape);
  let text: string;
  try {
    text = tensorToJsonText(t.name, t.datatype, t.data, n);
  } catch (err) {
    throw tensorError(err);
  }
  // A single element is sent bare, not as a one-element array.
  return n === 1 ? text.slice(1, -1) : text;
}

/**
 * One response as a flat object. Keys are sorted (Triton collects them in a std::map) and the first
 * of equal names wins: id/model_name/model_version, then parameters, then outputs.
 */
export function generateResponseJson(r: InferenceResponse): string {
  const fields = new Map<string, string>();
  const put = (key: string, text: string): void => {
    if (!fields.has(key)) fields.set(key, text);
  };
  if (r.id !== '') put('id', JSON.stringify(r.id));
  put('model_name', JSON.stringify(r.modelName));
  put('model_version', JSON.stringify(r.modelVersion));
  for (const [k, v] of Object.entries(r.parameters ?? {})) put(k, parameterText(v));
  for (const t of r.outputs) put(t.name, tensorText(t));
  const keys = [...fields.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${fields.get(k)!}`).join(',')}}`;
}

interface Rendered {
  readonly status: number;
  readonly json: string;
}

/** A response (or its error, or a failure to render it) as the JSON text of one generate reply. */
function render(r: InferenceResponse): Rendered {
  let error = r.error;
  if (error === undefined) {
    try {
      return { status: 200, json: generateResponseJson(r) };
    } catch (err) {
      error = ServerError.from(err);
    }
  }
  return { status: HTTP_STATUS_BY_CODE[error.code] ?? 400, json: JSON.stringify({ error: error.message }) };
}

/** Aborts the request when the client goes away before the final response. */
function watchClose(res: ServerResponse): { signal: AbortSignal; settle(): void } {
  const controller = new AbortController();
  const onClose = (): void => controller.abort();
  res.once('close', onClose);
  return { signal: controller.signal, settle: () => res.off('close', onClose) };
}

/** A decoupled model's completion without a response (Triton's flag-only final): it produces no reply. */
function isFlagOnly(r: InferenceResponse, decoupled: boolean): boolean {
  return decoupled && r.final && r.error === undefined && r.outputs.length === 0 && r.parameters === undefined;
}

/** `/generate`: the single response, or an error when the model produced none or several. */
function runSingle(ctx: HandlerContext, call: HttpCall, init: InferenceRequestInit): Promise<Reply> {
  return new Promise((resolve) => {
    // From the model's spec at its lookup, before any response.
    let decoupled = false;
    const watch = watchClose(call.res);
    const replies: Rendered[] = [];
    try {
      ctx.server.inferStream({ ...init, signal: watch.signal }, (r) => {
        if (!isFlagOnly(r, decoupled)) replies.push(render(r));
        if (!r.final) return;
        watch.settle();
        const only = replies.length === 1 ? replies[0]! : undefined;
        // Triton sends this with the status of the first response; having buffered, we can send 500.
        if (only === undefined) resolve(errorReply(ServerError.internal(GENERATE_SINGLE_RESPONSE)));
        else resolve({ status: only.status, body: only.json, contentType: JSON_TYPE });
      }, (spec) => { decoupled = spec.decoupled; });
    } catch (err) {
      watch.settle();
      throw err;
    }
  });
}

/** `/generate_stream`: one `data:` event per response; errors before inference stay normal JSON errors. */
function runStream(ctx: HandlerContext, call: HttpCall, init: InferenceRequestInit): Promise<Reply> {
  return new Promise((resolve) => {
    // From the model's spec at its lookup, before any response.
    let decoupled = false;
    const watch = watchClose(call.res);
    const sse = new SseReply(call.res);
    try {
      ctx.server.inferStream({ ...init, signal: watch.signal }, (r) => {
        if (!isFlagOnly(r, decoupled)) {
          const { status, json } = render(r);
          sse.event(json, status);
        }
        if (!r.final) return;
        watch.settle();
        sse.end();
        // The frontend writes nothing more: the head is already sent.
        resolve({ status: 200 });
      }, (spec) => { decoupled = spec.decoupled; });
    } catch (err) {
      watch.settle();
      throw err;
    }
  });
}

export function handleGenerate(
  ctx: HandlerContext, call: HttpCall, model: string, version: string, streaming: boolean,
): Reply | Promise<Reply> {
  if (call.req.method !== 'POST') return METHOD_NOT_ALLOWED;
  // Triton resolves the model (NOT_FOUND / UNAVAILABLE) before it looks at the body.
  const metadata = ctx.server.modelMetadata(model, version);
  if (requestEncoding(call.req.headers['content-encoding']) !== 'identity') {
    throw ServerError.invalidArg("Unsupported content-encoding, only 'identity' is supported.");
  }
  const init = requestInit(call.body, model, version, metadata.inputs);
  return streaming ? runStream(ctx, call, init) : runSingle(ctx, call, init);
}
