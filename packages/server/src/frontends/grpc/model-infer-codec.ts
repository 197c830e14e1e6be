/**
 * ModelInfer's request decoder, cheaper than proto-loader's generic one and giving the same objects.
 * proto-loader decodes with protobufjs and then runs `toObject` over the whole message, turning every
 * int64 shape element into a Long and then a string through Long's radix-10 loop (~5 µs of a ~60 µs
 * request). The common request (names, shapes, raw_input_contents, outputs without parameters) is read
 * here straight from the wire; anything else (parameter maps, typed contents, unknown fields, shape
 * values of 2^49 and more or negative, malformed bytes) goes to proto-loader's decoder unchanged, so
 * results and errors stay exactly its own.
 */
import type { pb } from '@inferd/protocol';
import { allocWithFrameHeadroom } from './frame-interceptor.js';

export type RequestDecoder = (buf: Buffer) => pb.ModelInferRequest;

/** Read position in the buffer being decoded; decoding is synchronous, so one per module suffices. */
let pos = 0;
/** Set when the message needs the generic decoder. */
let bail = false;

/** A varint below 2^35 (tags and lengths); longer ones bail. */
function varint(buf: Buffer, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) break;
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  bail = true;
  return 0;
}

/** A non-negative int64 below 2^49 as its decimal text (proto-loader's `longs: String`). */
function shapeValue(buf: Buffer, end: number): string {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= end) break;
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return String(value);
    scale *= 128;
  }
  bail = true;
  return '';
}

/** End of the length-delimited field at `pos`, or bails when it overruns `end`. */
function delimited(buf: Buffer, end: number): number {
  const length = varint(buf, end);
  const stop = pos + length;
  if (stop > end) bail = true;
  return stop;
}

function text(buf: Buffer, end: number): string {
  const stop = delimited(buf, end);
  if (bail) return '';
  const s = buf.toString('utf8', pos, stop);
  pos = stop;
  return s;
}

function input(buf: Buffer, end: number): pb.ModelInferRequest_InferInputTensor {
  const io: pb.ModelInferRequest_InferInputTensor = { name: '', datatype: '', shape: [], parameters: {}, contents: null };
  while (pos < end && !bail) {
    const tag = varint(buf, end);
    switch (tag) {
      case 10: io.name = text(buf, end); break;
      case 18: io.datatype = text(buf, end); break;
      case 26: { // packed shape
        const stop = delimited(buf, end);
        while (pos < stop && !bail) io.shape.push(shapeValue(buf, stop));
        break;
      }
      case 24: io.shape.push(shapeValue(buf, end)); break; // unpacked shape element
      default: bail = true;
    }
  }
  return io;
}

function output(buf: Buffer, end: number): pb.ModelInferRequest_InferRequestedOutputTensor {
  const o: pb.ModelInferRequest_InferRequestedOutputTensor = { name: '', parameters: {} };
  while (pos < end && !bail) {
    if (varint(buf, end) === 10) o.name = text(buf, end);
    else bail = true;
  }
  return o;
}

function decodeCommon(buf: Buffer): pb.ModelInferRequest | undefined {
  pos = 0;
  bail = false;
  const end = buf.length;
  const req: pb.ModelInferRequest = {
    model_name: '', model_version: '', id: '', parameters: {}, inputs: [], outputs: [], raw_input_contents: [],
  };
  while (pos < end && !bail) {
    const tag = varint(buf, end);
    switch (tag) {
      case 10: req.model_name = text(buf, end); break;
      case 18: req.model_version = text(buf, end); break;
      case 26: req.id = text(buf, end); break;
      case 42: {
        const stop = delimited(buf, end);
        if (!bail) req.inputs.push(input(buf, stop));
        break;
      }
      case 50: {
        const stop = delimited(buf, end);
        if (!bail) req.outputs.push(output(buf, stop));
        break;
      }
      case 58: {
        // A view of the received bytes, as protobufjs gives it.
        const stop = delimited(buf, end);
        if (!bail) req.raw_input_contents.push(buf.subarray(pos, stop));
        pos = stop;
        break;
      }
      default: bail = true;
    }
  }
  return bail ? undefined : req;
}

/** ModelInfer's requestDeserialize: the wire fast path, `generic` (proto-loader's) for the rest. */
export function modelInferRequestDecoder(generic: RequestDecoder): RequestDecoder {
  return (buf) => decodeCommon(buf) ?? generic(buf);
}

export type ResponseEncoder = (response: pb.ModelInferResponseInit) => Buffer;

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 128) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

/** UTF-8 length; names are short ASCII, where a char loop beats Buffer.byteLength's native call. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.byteLength(s);
  return s.length;
}

/** Size of a string field with its tag (tags here are one byte), 0 when absent as proto-loader omits it. */
function textSize(s: string | undefined | null): number {
  if (s == null) return 0;
  const n = utf8Length(s);
  return 1 + varintSize(n) + n;
}

function putText(buf: Buffer, at: number, tag: number, s: string | undefined | null): number {
  if (s == null) return at;
  buf[at++] = tag;
  const n = utf8Length(s);
  at = putVarint(buf, at, n);
  if (n !== s.length) return at + buf.write(s, at);
  for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
  return at + n;
}

function isEmpty(o: object | undefined): boolean {
  if (o === undefined) return true;
  for (const _ in o) return false;
  return true;
}

type Output = pb.ModelInferResponse_InferOutputTensorInit;

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

/** InferOutputTensor body size, or -1 for the generic encoder. */
function outputSize(o: Output): number {
  if (!isEmpty(o.parameters) || o.contents != null) return -1;
  let n = textSize(o.name) + textSize(o.datatype);
  const shape = (o.shape ?? []) as readonly unknown[];
  if (shape.length > 0) {
    const s = shapeBytes(shape);
    if (s < 0) return -1;
    n += 1 + varintSize(s) + s;
  }
  return n;
}

function encodeCommon(r: pb.ModelInferResponseInit): Buffer | undefined {
  if (!isEmpty(r.parameters)) return undefined;
  const outputs = (r.outputs ?? []) as readonly Output[];
  const raw = (r.raw_output_contents ?? []) as readonly Uint8Array[];
  let size = textSize(r.model_name) + textSize(r.model_version) + textSize(r.id);
  for (let i = 0; i < outputs.length; i++) {
    const n = outputSize(outputs[i]!);
    if (n < 0) return undefined;
    size += 1 + varintSize(n) + n;
  }
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (!(b instanceof Uint8Array)) return undefined;
    size += 1 + varintSize(b.byteLength) + b.byteLength;
  }
  // Room for the gRPC prefix in front: the reply is sent from this buffer as it is (frame-interceptor.ts).
  const buf = allocWithFrameHeadroom(size);
  let at = putText(buf, 0, 10, r.model_name);
  at = putText(buf, at, 18, r.model_version);
  at = putText(buf, at, 26, r.id);
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    buf[at++] = 42;
    at = putVarint(buf, at, outputSize(o));
    at = putText(buf, at, 10, o.name);
    at = putText(buf, at, 18, o.datatype);
    const shape = (o.shape ?? []) as readonly number[];
    if (shape.length > 0) {
      buf[at++] = 26;
      at = putVarint(buf, at, shapeBytes(shape));
      for (let d = 0; d < shape.length; d++) at = putVarint(buf, at, shape[d]!);
    }
  }
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    buf[at++] = 50;
    at = putVarint(buf, at, b.byteLength);
    buf.set(b, at);
    at += b.byteLength;
  }
  return buf;
}

/**
 * ModelInfer's responseSerialize: replies without parameters and with plain outputs (what
 * infer-encode.ts builds for most models) are written straight to bytes, the same bytes as
 * proto-loader's fromObject + encode; the rest go to `generic` (proto-loader's).
 */
export function modelInferResponseEncoder(generic: ResponseEncoder): ResponseEncoder {
  return (response) => encodeCommon(response) ?? generic(response);
}
