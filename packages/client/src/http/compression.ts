/**
 * Request body compression with the platform's CompressionStream (Node >= 18 and browsers, no `node:`
 * import). Web 'deflate' is zlib-wrapped, which is what Triton's `Content-Encoding: deflate` means.
 * Response bodies are decoded by fetch itself from their Content-Encoding.
 */

export type Compression = 'gzip' | 'deflate';

export async function compress(body: Uint8Array, algorithm: Compression): Promise<Uint8Array> {
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream(algorithm));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
