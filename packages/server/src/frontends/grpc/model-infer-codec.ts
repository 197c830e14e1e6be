/**
 * The ModelInferRequest decoder of ModelInfer and ModelStreamInfer, cheaper than proto-loader's
 * generic one and giving the same objects (replies: infer-response-encoder.ts). proto-loader decodes
 * with protobufjs and then runs `toObject` over the whole message, turning every int64 shape element
 * into a Long and then a string through Long's radix-10 loop (~5 µs of a ~60 µs request). The common request (names, shapes, raw_input_contents, requested outputs, parameter maps
 * such as a stream's sequence_id or triton_enable_empty_final_response) is read here straight from the
 * wire; anything else (typed contents, unknown fields, int64 values of 2^49 and more or negative, a
 * parameter with two members, malformed bytes) goes to proto-loader's decoder unchanged, so results
 * and errors stay exactly its own.
 */
import type { pb } from '@inferd/protocol';

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

/** One InferParameter as proto-loader gives it (the set member plus `parameter_choice`); bails on two members. */
function parameterValue(buf: Buffer, end: number): pb.InferParameter {
  const p: pb.InferParameter = {};
  let members = 0;
  while (pos < end && !bail) {
    members++;
    switch (varint(buf, end)) {
      case 8: p.bool_param = varint(buf, end) !== 0; p.parameter_choice = 'bool_param'; break;
      case 16: p.int64_param = shapeValue(buf, end); p.parameter_choice = 'int64_param'; break;
      case 26: p.string_param = text(buf, end); p.parameter_choice = 'string_param'; break;
      case 33:
        if (pos + 8 > end) bail = true;
        else p.double_param = buf.readDoubleLE(pos);
        pos += 8;
        p.parameter_choice = 'double_param';
        break;
      case 40: p.uint64_param = shapeValue(buf, end); p.parameter_choice = 'uint64_param'; break;
      default: bail = true;
    }
  }
  if (members > 1) bail = true;
  return p;
}

/** One map<string, InferParameter> entry { key = 1, value = 2 } into `into`; bails unless both come once, in order. */
function parameterEntry(buf: Buffer, end: number, into: Record<string, pb.InferParameter>): void {
  if (varint(buf, end) !== 10) {
    bail = true;
    return;
  }
  const key = text(buf, end);
  if (bail || varint(buf, end) !== 18) {
    bail = true;
    return;
  }
  const stop = delimited(buf, end);
  if (bail) return;
  const value = parameterValue(buf, stop);
  if (pos !== end) bail = true;
  into[key] = value;
}

/** A length-delimited map entry at `pos` (a request's, an input's or an output's parameters). */
function parameters(buf: Buffer, end: number, into: Record<string, pb.InferParameter>): void {
  const stop = delimited(buf, end);
  if (!bail) parameterEntry(buf, stop, into);
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
      case 34: parameters(buf, end, io.parameters); break;
      default: bail = true;
    }
  }
  return io;
}

function output(buf: Buffer, end: number): pb.ModelInferRequest_InferRequestedOutputTensor {
  const o: pb.ModelInferRequest_InferRequestedOutputTensor = { name: '', parameters: {} };
  while (pos < end && !bail) {
    const tag = varint(buf, end);
    if (tag === 10) o.name = text(buf, end);
    else if (tag === 18) parameters(buf, end, o.parameters);
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
      case 34: parameters(buf, end, req.parameters); break;
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

/** requestDeserialize of both RPCs: the wire fast path, `generic` (proto-loader's) for the rest. */
export function modelInferRequestDecoder(generic: RequestDecoder): RequestDecoder {
  return (buf) => decodeCommon(buf) ?? generic(buf);
}
