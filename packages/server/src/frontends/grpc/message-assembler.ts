/**
 * gRPC length-prefixed message framing on the receiving side, in place of grpc-js's StreamDecoder for
 * our server's calls (see frame-interceptor.ts). grpc-js keeps every DATA chunk of a message and then
 * `Buffer.concat`s them, so a 100 MB request is in memory twice before it is even decoded (and the
 * chunks stay referenced until the call object goes). This assembler allocates the message once its
 * 5-byte prefix (compressed flag, big-endian length) has arrived and copies each chunk straight into
 * place: peak 1x the message, and no chunk outlives its `write`. Output is the same as StreamDecoder's:
 * each complete message as one Buffer with its 5-byte prefix, and the same error for a message above
 * the receive limit (grpc-js turns it into RESOURCE_EXHAUSTED).
 *
 * A large message gets an ArrayBuffer of its own (never Node's shared pool), placed so that the message
 * ends on an ALIGN boundary: raw_input_contents is the request's last field, so its last tensor ends
 * there and starts aligned for its element type. The decoder may then hand that buffer to a backend
 * to move instead of copying (`isOwnMessageBuffer`; the ONNX worker needs aligned, detachable data).
 */
import { ownBuffer } from '../../core/index.js';

const PREFIX = 5;
/** As the HTTP body reader: typed-array views of any element type need no copy at this alignment. */
const ALIGN = 64;
/** Below this, a message is cheaper to take from Node's pool (and its tensors to copy) than to own. */
export const OWN_MESSAGE_MIN_BYTES = 64 * 1024;

/** ArrayBuffers that hold one assembled message and nothing else (not pooled, nothing else refers to them). */
const ownMessageBuffers = new WeakSet<ArrayBufferLike>();

/** True when `buffer` was allocated by an assembler for one message alone: its views may be moved. */
export function isOwnMessageBuffer(buffer: ArrayBufferLike): boolean {
  return ownMessageBuffers.has(buffer);
}

/** A buffer for a message of `framed` bytes (prefix included): own and end-aligned when large. */
function messageBuffer(framed: number): Buffer {
  if (framed < OWN_MESSAGE_MIN_BYTES) return Buffer.allocUnsafe(framed);
  const pad = (ALIGN - (framed % ALIGN)) % ALIGN;
  // The pad bytes in front are never exposed; every byte of the message is written before it is handed on.
  const whole = ownBuffer(pad + framed);
  ownMessageBuffers.add(whole.buffer);
  return whole.subarray(pad);
}

export class MessageAssembler {
  /** grpc-js's `grpc.max_receive_message_length`; -1 = unlimited. */
  readonly maxReadMessageLength: number;
  /** Prefix bytes seen of the message being read (0..5); 5 while its body is read. */
  #prefixRead = 0;
  readonly #prefix = Buffer.alloc(PREFIX);
  /** The message being filled (prefix included), and how much of it is written. */
  #message: Buffer | undefined;
  #filled = 0;

  constructor(maxReadMessageLength: number) {
    this.maxReadMessageLength = maxReadMessageLength;
  }

  /** Takes one DATA chunk; returns the messages it completed (often none, sometimes several). */
  write(data: Buffer): Buffer[] {
    const done: Buffer[] = [];
    let at = 0;
    while (at < data.length) {
      if (this.#message === undefined) {
        const take = Math.min(PREFIX - this.#prefixRead, data.length - at);
        data.copy(this.#prefix, this.#prefixRead, at, at + take);
        this.#prefixRead += take;
        at += take;
        if (this.#prefixRead < PREFIX) break;
        const size = this.#prefix.readUInt32BE(1);
        if (this.maxReadMessageLength !== -1 && size > this.maxReadMessageLength) {
          // StreamDecoder's words; the caller answers RESOURCE_EXHAUSTED with them.
          throw new Error(`Received message larger than max (${size} vs ${this.maxReadMessageLength})`);
        }
        this.#message = messageBuffer(PREFIX + size);
        this.#prefix.copy(this.#message, 0);
        this.#filled = PREFIX;
      }
      const message = this.#message;
      const take = Math.min(message.length - this.#filled, data.length - at);
      data.copy(message, this.#filled, at, at + take);
      this.#filled += take;
      at += take;
      if (this.#filled === message.length) {
        done.push(message);
        // Nothing here keeps a reference once the message is handed on.
        this.#message = undefined;
        this.#prefixRead = 0;
      }
    }
    return done;
  }
}
