/**
 * A Server-Sent Events reply for `/generate_stream` (spec §1.9). As in Triton, the head goes out with
 * the first event, so the status is that of the first response (an error first → its error status);
 * later errors can only travel as events under the status already sent. The body is chunked and ends
 * with the request's final response.
 */
import type { ServerResponse } from 'node:http';

export const SSE_TYPE = 'text/event-stream; charset=utf-8';

export class SseReply {
  readonly #res: ServerResponse;
  #ended = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /** True once the head is sent (or the client is gone): a normal JSON reply is no longer possible. */
  get started(): boolean {
    return this.#res.headersSent || this.#res.destroyed;
  }

  /** Writes `data: <json>\n\n`; the first event also sends the head with `status`. */
  event(json: string, status = 200): void {
    if (this.#ended || this.#res.destroyed) return;
    this.#head(status);
    this.#res.write(`data: ${json}\n\n`);
  }

  /** Ends the stream; with no event sent, an empty 200 stream (a request with zero responses). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#res.destroyed) return;
    this.#head(200);
    this.#res.end();
  }

  #head(status: number): void {
    if (this.#res.headersSent) return;
    // No Content-Length: node:http sends the body chunked, one chunk per event.
    this.#res.writeHead(status, { 'Content-Type': SSE_TYPE });
  }
}
