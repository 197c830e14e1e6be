/**
 * ModelInfer's and ModelStreamInfer's reply encoders: the replies infer-encode.ts builds (names,
 * datatypes, non-negative shapes, raw output contents, parameter maps such as the stream's
 * `triton_final_response`) are written straight to bytes, the same bytes as proto-loader's
 * fromObject + encode, into a buffer with room for the gRPC prefix in front (frame-interceptor.ts
 * sends it without a copy). Anything else (typed contents, Long strings, odd values) goes to
 * proto-loader's own encoder unchanged. Each message has a size function and a writer at an offset,
 * so the stream wrapper embeds the inner reply without encoding it twice.
 *
 * Large raw output contents are not copied into the reply at all where the call can send a reply in
 * pieces (frame-interceptor.ts `REPLY_PARTS`): the encoder writes everything else into one buffer,
 * notes where each large tensor belongs, and the pieces go to the HTTP/2 stream in one gathered write.
 * A 600 KB reply otherwise costs a 600 KB allocation and copy per call.
 */
import type { pb } from '@inferd/protocol';
import { allocWithFrameHeadroom, REPLY_PARTS, type ReplyParts } from './frame-interceptor.js';
import { parameterMapSize, putParameterMap } from './parameter-map-encoder.js';
import { delimitedSize, isEmpty, putDelimitedHead, putText, putVarint, textSize, varintSize } from './wire-writer.js';

export type ResponseEncoder = (response: pb.ModelInferResponseInit) => Buffer;
export type StreamResponseEncoder = (response: pb.ModelStreamInferResponseInit) => Buffer;

type Output = pb.ModelInferResponse_InferOutputTensorInit;
type Params = Readonly<Record<string, pb.InferParameterInit>>;

/** Map field 4 of both ModelInferResponse and InferOutputTensor. */
const PARAMETERS_TAG = 34;

/** Raw output contents this large are sent from their own memory when the call allows it; smaller ones are copied in. */
export const BY_REFERENCE_MIN_BYTES = 32 * 1024;

/**
 * Where the large raw contents go when they are not copied: `data[i]` belongs at offset `at[i]` of the
 * written buffer (which is `bytes` shorter than the message).
 */
interface Cuts {
  readonly at: number[];
  readonly data: Uint8Array[];
}

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

/** Bytes of the raw contents that `putInferResponse` leaves out when given cuts. */
function referencedBytes(r: pb.ModelInferResponseInit): number {
  const raw = (r.raw_output_contents ?? []) as readonly Uint8Array[];
  let n = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i]!.byteLength >= BY_REFERENCE_MIN_BYTES) n += raw[i]!.byteLength;
  return n;
}

/**
 * Writes the body `inferResponseSize` measured (fields in number order, as protobufjs does). With
 * `cuts`, large raw contents are recorded there instead of copied (only their tag and length are written).
 */
export function putInferResponse(buf: Buffer, at: number, r: pb.ModelInferResponseInit, cuts?: Cuts): number {
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
    if (cuts !== undefined && b.byteLength >= BY_REFERENCE_MIN_BYTES) {
      cuts.at.push(at);
      cuts.data.push(b);
      continue;
    }
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

/** The written buffer and the cut-out tensors as the pieces of one message of `size` bytes. */
function piecesOf(buf: Buffer, cuts: Cuts, size: number): ReplyParts {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < cuts.at.length; i++) {
    const at = cuts.at[i]!;
    // Never empty: each tensor's tag and length come before it.
    pieces.push(buf.subarray(from, at));
    pieces.push(cuts.data[i]!);
    from = at;
  }
  if (from < buf.length) pieces.push(buf.subarray(from));
  return { body: buf, pieces, size };
}

/** ModelInferResponse in pieces when it has large raw contents, else as one buffer (undefined: generic). */
function inferResponseParts(r: pb.ModelInferResponseInit): ReplyParts | Buffer | undefined {
  const size = inferResponseSize(r);
  if (size < 0) return undefined;
  const referenced = referencedBytes(r);
  const buf = allocWithFrameHeadroom(size - referenced);
  if (referenced === 0) {
    putInferResponse(buf, 0, r);
    return buf;
  }
  const cuts: Cuts = { at: [], data: [] };
  putInferResponse(buf, 0, r, cuts);
  return piecesOf(buf, cuts, size);
}

/** ModelStreamInferResponse: error_message = 1 (string), infer_response = 2 (ModelInferResponse). */
function streamResponse(m: pb.ModelStreamInferResponseInit, inPieces: boolean): ReplyParts | Buffer | undefined {
  const inner = m.infer_response;
  let innerSize = 0;
  if (inner != null) {
    innerSize = inferResponseSize(inner);
    if (innerSize < 0) return undefined;
  }
  const size = textSize(m.error_message) + (inner != null ? delimitedSize(innerSize) : 0);
  const referenced = inPieces && inner != null ? referencedBytes(inner) : 0;
  const buf = allocWithFrameHeadroom(size - referenced);
  const cuts: Cuts | undefined = referenced > 0 ? { at: [], data: [] } : undefined;
  let at = putText(buf, 0, 10, m.error_message);
  if (inner != null) {
    at = putDelimitedHead(buf, at, 18, innerSize);
    putInferResponse(buf, at, inner, cuts);
  }
  return cuts === undefined ? buf : piecesOf(buf, cuts, size);
}

function encodeStreamResponse(m: pb.ModelStreamInferResponseInit): Buffer | undefined {
  return streamResponse(m, false) as Buffer | undefined;
}

/**
 * ModelInfer's responseSerialize: the fast path, `generic` (proto-loader's) for the rest. It always
 * gives one whole buffer; its `REPLY_PARTS` member, used only by calls that send pieces, may not.
 */
export function modelInferResponseEncoder(generic: ResponseEncoder): ResponseEncoder {
  const whole: ResponseEncoder = (response) => encodeInferResponse(response) ?? generic(response);
  return Object.assign(whole, { [REPLY_PARTS]: (response: pb.ModelInferResponseInit) => inferResponseParts(response) ?? generic(response) });
}

/** ModelStreamInfer's responseSerialize: as modelInferResponseEncoder, for the stream's wrapper message. */
export function modelStreamInferResponseEncoder(generic: StreamResponseEncoder): StreamResponseEncoder {
  const whole: StreamResponseEncoder = (response) => encodeStreamResponse(response) ?? generic(response);
  return Object.assign(whole, { [REPLY_PARTS]: (response: pb.ModelStreamInferResponseInit) => streamResponse(response, true) ?? generic(response) });
}
