/**
 * Frees large buffers a thread owns and no longer needs now, not at its next garbage collection. An
 * instance worker is idle between runs, so the feeds of a 100 MB request (moved here from the main
 * thread) would otherwise stay resident until some later run allocates enough to trigger a GC, and
 * the next large request would find them still there. Detaching them into a message on a channel
 * whose two ends are then closed drops the message, and with it the memory, on the next turn of the
 * event loop. If a future Node kept such messages, they would just be freed by GC as before.
 */
import { MessageChannel } from 'node:worker_threads';

/** Below this the GC reclaims buffers soon enough, and a channel per run would cost more than it saves. */
export const RELEASE_MIN_BYTES = 1 << 20;

/**
 * Releases each distinct, detachable ArrayBuffer of at least RELEASE_MIN_BYTES among `views`. Every
 * view onto them (in this thread) becomes empty, so only buffers nothing will read again belong here.
 */
export function releaseBuffers(views: readonly Uint8Array[]): void {
  const buffers: ArrayBuffer[] = [];
  for (const v of views) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && b.byteLength >= RELEASE_MIN_BYTES && !buffers.includes(b)) buffers.push(b);
  }
  if (buffers.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(null, buffers);
  } catch {
    // A buffer that cannot be detached (e.g. backed by external memory) is left to the GC.
  }
  port1.close();
  port2.close();
}
