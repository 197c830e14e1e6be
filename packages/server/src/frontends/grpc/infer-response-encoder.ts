/**
 * ModelInfer's and ModelStreamInfer's reply encoders: the replies infer-encode.ts builds (names,
 * datatypes, non-negative shapes, raw output contents, parameter maps such as the stream's
 * `triton_final_response`) are written straight to bytes, the same bytes as proto-loader's
 * fromObject + encode, into a buffer with room for the gRPC prefix in front (frame-interceptor.ts
 * sends it without a copy). Anything else (typed contents, Long strings, odd values) goes to
 * proto-loader's own encoder unchanged. Each message has a size function and a writer at an offset,
 * so the stream wrapper embeds the inner reply without encoding it twice.
 */
import type { pb } from '@inferd/protocol';
import { allocWithFrameHeadroom } from './frame-interceptor.js';
import { parameterMapSize, putParameterMap } from './parameter-map-encoder.js';
import { delimitedSize, isEmpty, putDelimitedHead, putText, putVarint, textSize, varintSize } from './wire-writer.js';

export type ResponseEncoder = (response: pb.ModelInferResponseInit) => Buffer;
export type StreamResponseEncoder = (response: pb.ModelStreamInferResponseInit) => Buffer;

type Output = pb.ModelInferResponse_InferOutputTensorInit;
type Params = Readonly<Record<string, pb.InferParameterInit>>;

/** Map field 4 of both ModelInferResponse and InferOutputTensor. */
const PARAMETERS_TAG = 34;

/** Bytes of the packed shape, or -1 when a value needs the generic encoder (negative, fractional, string). */
function shapeBytes(shape: readonly unknown[]): number {
  let n = 0;
  for (let i = 0; i < shape.length; i++) {
    const v = shape[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return -1;
    n += varintSize(v);
  }
  return n;
}

function parametersSize(params: Params | undefined): number {
  return isEmpty(params) ? 0 : parameterMapSize(params!);
}

/** InferOutputTensor body size, or -1 for the generic encoder. */
function outputSize(o: Output): number {
  if (o.contents != null) return -1;
  const params = parametersSize(o.parameters);
  if (params < 0) return -1;
  let n = textSize(o.name) + textSize(o.datatype) + params;
  const shape = (o.shape ?? []) as readonly unknown[];
  if (shape.length > 0) {
    const s = shapeBytes(shape);
    if (s < 0) return -1;
    n += delimitedSize(s);
  }
  return n;
}

function putOutput(buf: Buffer, at: number, o: Output): number {
  at = putDelimitedHead(buf, at, 42, outputSize(o));
  at = putText(buf, at, 10, o.name);
  at = putText(buf, at, 18, o.datatype);
  const shape = (o.shape ?? []) as readonly number[];
  if (shape.length > 0) {
    at = putDelimitedHead(buf, at, 26, shapeBytes(shape));
    for (let d = 0; d < shape.length; d++) at = putVarint(buf, at, shape[d]!);
  }
  if (!isEmpty(o.parameters)) at = putParameterMap(buf, at, PARAMETERS_TAG, o.parameters!);
  return at;
}

/** ModelInferResponse body size, or -1 for the generic encoder. */
export function inferResponseSize(r: pb.ModelInferResponseInit): number {
  const params = parametersSize(r.parameters);
  if (params < 0) return -1;
  const outputs = (r.outputs ?? []) as readonly Output[];
  const raw = (r.raw_output_contents ?? []) as readonly Uint8Array[];
  let size = textSize(r.model_name) + textSize(r.model_version) + textSize(r.id) + params;
  for (let i = 0; i < outputs.length; i++) {
    const n = outputSize(outputs[i]!);
    if (n < 0) return -1;
    size += delimitedSize(n);
  }
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (!(b instanceof Uint8Array)) return -1;
    size += delimitedSize(b.byteLength);
  }
  return size;
}

/** Writes the body `inferResponseSize` measured (fields in number order, as protobufjs does). */
export function putInferResponse(buf: Buffer, at: number, r: pb.ModelInferResponseInit): number {
  at = putText(buf, at, 10, r.model_name);
  at = putText(buf, at, 18, r.model_version);
  at = putText(buf, at, 26, r.id);
  if (!isEmpty(r.parameters)) at = putParameterMap(buf, at, PARAMETERS_TAG, r.parameters!);
  const outputs = (r.outputs ?? []) as readonly Output[];
  for (let i = 0; i < outputs.length; i++) at = putOutput(buf, at, outputs[i]!);
  const raw = (r.raw_output_contents ?? []) as readonly Uint8Array[];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    at = putDelimitedHead(buf, at, 50, b.byteLength);
    buf.set(b, at);
    at += b.byteLength;
  }
  return at;
}

function encodeInferResponse(r: pb.ModelInferResponseInit): Buffer | undefined {
  const size = inferResponseSize(r);
  if (size < 0) return undefined;
  const buf = allocWithFrameHeadroom(size);
  putInferResponse(buf, 0, r);
  return buf;
}

/** ModelStreamInferResponse: error_message = 1 (string), infer_response = 2 (ModelInferResponse). */
function encodeStreamResponse(m: pb.ModelStreamInferResponseInit): Buffer | undefined {
  const inner = m.infer_response;
  let innerSize = 0;
  if (inner != null) {
    innerSize = inferResponseSize(inner);
    if (innerSize < 0) return undefined;
  }
  const buf = allocWithFrameHeadroom(textSize(m.error_message) + (inner != null ? delimitedSize(innerSize) : 0));
  let at = putText(buf, 0, 10, m.error_message);
  if (inner != null) {
    at = putDelimitedHead(buf, at, 18, innerSize);
    putInferResponse(buf, at, inner);
  }
  return buf;
}

/** ModelInfer's responseSerialize: the fast path, `generic` (proto-loader's) for the rest. */
export function modelInferResponseEncoder(generic: ResponseEncoder): ResponseEncoder {
  return (response) => encodeInferResponse(response) ?? generic(response);
}

/** ModelStreamInfer's responseSerialize: the fast path, `generic` (proto-loader's) for the rest. */
export function modelStreamInferResponseEncoder(generic: StreamResponseEncoder): StreamResponseEncoder {
  return (response) => encodeStreamResponse(response) ?? generic(response);
}
