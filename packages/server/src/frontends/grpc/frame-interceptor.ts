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
 * - replies in pieces: a serializer with a `REPLY_PARTS` member may return a reply as its written
 *   buffer plus large tensors left in their own memory (ReplyParts). The serializer hands grpc-js the
 *   framed first piece, and the call's HTTP/2 stream, whose `write` is wrapped for this call only,
 *   sends the rest right behind it in the same corked (gathered) write. grpc-js checks a reply's size
 *   against `grpc.max_send_message_length` on what the serializer returns, so pieces are used only
 *   where that limit is off (-1, as our server sets it).
 *
 * All replace members grpc-js does not document (`decoder`, `serializeMessage`, `handler.serialize`,
 * `stream`, `maxSendMessageSize` of BaseServerInterceptingCall). Each is replaced only when it is found
 * in the expected form; otherwise the call is left as grpc-js made it, which is correct, only costlier.
 */
import type { ServerInterceptingCall, ServerInterceptor } from '@grpc/grpc-js';
import { releaseWrittenViews } from '../../core/index.js';
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

/** The member of a serializer that may return a reply in pieces (see the module comment). */
export const REPLY_PARTS = Symbol('inferd.replyParts');

/** One reply as pieces: `body` (from allocWithFrameHeadroom) begins `pieces`; `size` = bytes of all pieces. */
export interface ReplyParts {
  readonly body: Buffer;
  readonly pieces: readonly Uint8Array[];
  readonly size: number;
}

type PartsSerializer = (value: unknown) => ReplyParts | Buffer;

/** Framed first pieces handed to grpc-js, and the pieces its stream write must send right after them. */
const followers = new WeakMap<Buffer, readonly Uint8Array[]>();

/** The framed first piece of a reply in pieces (prefix written in the body's headroom); the rest is noted for the stream. */
export function frameParts(parts: ReplyParts): Buffer {
  const first = parts.pieces[0]!;
  const body = parts.body;
  if (!withHeadroom.delete(body) || first.byteOffset !== body.byteOffset || first.buffer !== body.buffer) {
    throw new Error('frameParts: the first piece must start the body it was written in, with frame headroom');
  }
  const framed = Buffer.from(body.buffer, body.byteOffset - PREFIX, PREFIX + first.byteLength);
  framed[0] = 0;
  framed.writeUInt32BE(parts.size, 1);
  followers.set(framed, parts.pieces.slice(1));
  return framed;
}

interface WritableStream {
  write(chunk: unknown, ...rest: unknown[]): boolean;
  cork(): void;
  uncork(): void;
}

function isWritableStream(value: unknown): value is WritableStream {
  const s = value as Partial<WritableStream> | null;
  return typeof s === 'object' && s !== null && typeof s.write === 'function' && typeof s.cork === 'function' &&
    typeof s.uncork === 'function';
}

/**
 * Wraps this stream's `write` (an own property; the class is untouched): a framed first piece is
 * followed by its other pieces in one corked write, the caller's callback on the last one. Any other
 * chunk is written as before.
 */
function sendFollowers(stream: WritableStream): void {
  const write = stream.write;
  stream.write = function writeWithFollowers(this: WritableStream, chunk: unknown, ...rest: unknown[]): boolean {
    const more = Buffer.isBuffer(chunk) ? followers.get(chunk) : undefined;
    if (more === undefined) return write.call(this, chunk, ...rest);
    followers.delete(chunk as Buffer);
    this.cork();
    write.call(this, chunk);
    for (let i = 0; i < more.length - 1; i++) write.call(this, more[i]);
    // Once the last piece is flushed (a Writable's callback contract) the pieces' memory is free again:
    // outputs a backend marked as this reply's alone go back to the spare pool.
    const at = rest.findIndex((r) => typeof r === 'function');
    const done = at >= 0 ? (rest[at] as (err?: Error | null) => void) : undefined;
    const released = (err?: Error | null): void => {
      releaseWrittenViews(more);
      done?.(err);
    };
    const args = at >= 0 ? rest.map((r, i) => (i === at ? released : r)) : [...rest, released];
    const ok = write.call(this, more[more.length - 1], ...args);
    this.uncork();
    return ok;
  };
}

/** The private shape of grpc-js's BaseServerInterceptingCall this module relies on. */
interface BaseCallInternals {
  decoder?: { write?: unknown; maxReadMessageLength?: unknown };
  serializeMessage?: unknown;
  handler?: { serialize?: unknown };
  stream?: unknown;
  maxSendMessageSize?: unknown;
}

/**
 * Gives one grpc-js server call the assembler, the in-place framing and, where its serializer offers
 * them, replies in pieces; says which were installed (all, with the grpc-js this package pins and our
 * ModelInfer/ModelStreamInfer serializers; a test checks that).
 */
export function installFraming(call: unknown): { decoder: boolean; serializer: boolean; pieces: boolean } {
  const base = call as BaseCallInternals;
  const decoder = base.decoder;
  const replaceDecoder = decoder !== undefined && typeof decoder.write === 'function' && typeof decoder.maxReadMessageLength === 'number';
  if (replaceDecoder) {
    base.decoder = new MessageAssembler(decoder.maxReadMessageLength as number) as unknown as BaseCallInternals['decoder'];
  }
  const serialize = base.handler?.serialize;
  const replaceSerializer = typeof base.serializeMessage === 'function' && typeof serialize === 'function';
  const parts = (serialize as { [REPLY_PARTS]?: unknown } | undefined)?.[REPLY_PARTS];
  const pieces = replaceSerializer && typeof parts === 'function' && base.maxSendMessageSize === -1 && isWritableStream(base.stream);
  if (pieces) {
    sendFollowers(base.stream as WritableStream);
    base.serializeMessage = (value: unknown): Buffer => {
      const reply = (parts as PartsSerializer)(value);
      return Buffer.isBuffer(reply) ? frameMessage(reply) : frameParts(reply);
    };
  } else if (replaceSerializer) {
    base.serializeMessage = (value: unknown): Buffer => frameMessage((serialize as (v: unknown) => Buffer)(value));
  }
  return { decoder: replaceDecoder, serializer: replaceSerializer, pieces };
}

/** The interceptor to pass in the grpc-js Server options (`interceptors`). */
export const frameInterceptor: ServerInterceptor = (_method, call) => {
  installFraming(call);
  // Returning the call itself adds no layer; grpc-js only chains what interceptors return.
  return call as ServerInterceptingCall;
};
