/**
 * gRPC length-prefixed message framing on the receiving side, in place of grpc-js's StreamDecoder for
 * our server's calls (see frame-interceptor.ts). grpc-js keeps every DATA chunk of a message and then
 * `Buffer.concat`s them, so a 100 MB request is in memory twice before it is even decoded (and the
 * chunks stay referenced until the call object goes). This assembler allocates the message once its
 * 5-byte prefix (compressed flag, big-endian length) has arrived and copies each chunk straight into
 * place: peak 1x the message, and no chunk outlives its `write`. Output is the same as StreamDecoder's:
 * each complete message as one Buffer with its 5-byte prefix, and the same error for a message above
 * the receive limit (grpc-js turns it into RESOURCE_EXHAUSTED).
 */

const PREFIX = 5;

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
        this.#message = Buffer.allocUnsafe(PREFIX + size);
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
