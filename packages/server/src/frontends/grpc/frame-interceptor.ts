/**
 * Keeps large messages from being copied by grpc-js's own framing. Stock grpc-js (1.14) holds a
 * received message twice (its DATA chunks, then their concatenation) and copies every reply once more
 * to put the 5-byte gRPC prefix in front of it. A server interceptor, the public hook that sees each
 * call before any of its data, gives the call:
 *
 * - a MessageAssembler in place of its StreamDecoder (the message is written once into its final
 *   buffer as it arrives);
 * - a serializer that frames in place: replies our encoder wrote with `allocWithFrameHeadroom` already
 *   have 5 free bytes in front, so the prefix goes there and the same memory is sent. Any other reply
 *   is framed by a copy, as grpc-js does.
 *
 * Both replace members grpc-js does not document (`decoder`, `serializeMessage`, `handler.serialize` of
 * BaseServerInterceptingCall). Each is replaced only when it is found in the expected form; otherwise
 * the call is left as grpc-js made it, which is correct, only costlier in memory.
 */
import type { ServerInterceptingCall, ServerInterceptor } from '@grpc/grpc-js';
import { MessageAssembler } from './message-assembler.js';

const PREFIX = 5;
/** Reply bodies that have PREFIX writable bytes of their own right before them. */
const withHeadroom = new WeakSet<Uint8Array>();

/**
 * A Buffer of `size` bytes for a serialized reply, with room for the gRPC prefix in front, so the
 * serializer can frame it without a copy.
 */
export function allocWithFrameHeadroom(size: number): Buffer {
  const body = Buffer.allocUnsafe(PREFIX + size).subarray(PREFIX);
  withHeadroom.add(body);
  return body;
}

/** The framed message (prefix + body) for one serialized reply. */
export function frameMessage(body: Buffer): Buffer {
  let framed: Buffer;
  if (withHeadroom.has(body)) {
    withHeadroom.delete(body);
    framed = Buffer.from(body.buffer, body.byteOffset - PREFIX, PREFIX + body.length);
  } else {
    framed = Buffer.allocUnsafe(PREFIX + body.length);
    body.copy(framed, PREFIX);
  }
  // Uncompressed: grpc-js never compresses replies either.
  framed[0] = 0;
  framed.writeUInt32BE(body.length, 1);
  return framed;
}

/** The private shape of grpc-js's BaseServerInterceptingCall this module relies on. */
interface BaseCallInternals {
  decoder?: { write?: unknown; maxReadMessageLength?: unknown };
  serializeMessage?: unknown;
  handler?: { serialize?: unknown };
}

/**
 * Gives one grpc-js server call the assembler and the in-place framing; says which of the two were
 * installed (both, with the grpc-js this package pins; a test checks that).
 */
export function installFraming(call: unknown): { decoder: boolean; serializer: boolean } {
  const base = call as BaseCallInternals;
  const decoder = base.decoder;
  const replaceDecoder = decoder !== undefined && typeof decoder.write === 'function' && typeof decoder.maxReadMessageLength === 'number';
  if (replaceDecoder) {
    base.decoder = new MessageAssembler(decoder.maxReadMessageLength as number) as unknown as BaseCallInternals['decoder'];
  }
  const serialize = base.handler?.serialize;
  const replaceSerializer = typeof base.serializeMessage === 'function' && typeof serialize === 'function';
  if (replaceSerializer) {
    base.serializeMessage = (value: unknown): Buffer => frameMessage((serialize as (v: unknown) => Buffer)(value));
  }
  return { decoder: replaceDecoder, serializer: replaceSerializer };
}

/** The interceptor to pass in the grpc-js Server options (`interceptors`). */
export const frameInterceptor: ServerInterceptor = (_method, call) => {
  installFraming(call);
  // Returning the call itself adds no layer; grpc-js only chains what interceptors return.
  return call as ServerInterceptingCall;
};
