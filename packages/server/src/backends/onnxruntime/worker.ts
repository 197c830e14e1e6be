/**
 * A pool thread: owns the InferenceSessions placed on it (any number, of any models) and runs one
 * message at a time, because `session.run()` blocks its thread for the whole inference
 * (docs/architecture.md, "Where inference runs"). Tensors arrive and leave as bytes in transferred
 * ArrayBuffers; strings are converted here, never on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { sessionMetadata } from './metadata.js';
import { releaseBuffers } from '../../core/release-buffers.js';
import { SPARE_MIN_BYTES } from '../../core/spare-buffers.js';
import type { HostToWorker, SessionId, WireTensor, WorkerToHost } from './types.js';
import { errorText, fromOrt, RUN_OPTIONS, toOrt } from './wire-tensors.js';

const port = parentPort;
if (port === null) throw new Error('onnxruntime pool thread must run in a worker thread');
const sessions = new Map<SessionId, ort.InferenceSession>();

function post(message: WorkerToHost, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** Distinct large feed ArrayBuffers that are not also an output's (ORT may hand back what it was given). */
function spareFeeds(feeds: readonly WireTensor[], outputs: readonly ArrayBuffer[]): ArrayBuffer[] {
  const spares: ArrayBuffer[] = [];
  for (const t of feeds) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && b.byteLength >= SPARE_MIN_BYTES && !outputs.includes(b) && !spares.includes(b)) spares.push(b);
  }
  return spares;
}

async function run(msg: Extract<HostToWorker, { kind: 'run' }>): Promise<void> {
  try {
    const session = sessions.get(msg.session);
    if (session === undefined) throw new Error(`no session ${msg.session} in this thread`);
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of msg.feeds) feeds[t.name] = toOrt(ort.Tensor, t);
    const t0 = performance.now();
    const results = await session.run(feeds, msg.fetches as string[], RUN_OPTIONS);
    const runUs = (performance.now() - t0) * 1000;
    const outputs: WireTensor[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const name of msg.fetches) {
      const tensor = results[name];
      if (tensor === undefined) continue;
      const wire = fromOrt(name, tensor);
      outputs.push(wire);
      const buffer = wire.data.buffer;
      // Outputs may share one buffer; each may appear only once in a transfer list.
      if (buffer instanceof ArrayBuffer && !transfer.includes(buffer)) transfer.push(buffer);
    }
    // The feeds were moved or copied here for this run alone: the large ones go back with the result,
    // for the main thread to read its next large input into (no fresh mmap and page faults per request).
    const spares = spareFeeds(msg.feeds, transfer);
    post(spares.length > 0 ? { kind: 'result', id: msg.id, outputs, runUs, spares } : { kind: 'result', id: msg.id, outputs, runUs }, [...transfer, ...spares]);
  } catch (err) {
    post({ kind: 'failed', id: msg.id, message: errorText(err) });
  } finally {
    // Whatever was not moved back is freed now, not at some later GC (detached spares are skipped).
    releaseBuffers(msg.feeds.map((t) => t.data));
  }
}

async function handle(msg: HostToWorker): Promise<void> {
  switch (msg.kind) {
    case 'run':
      return run(msg);
    case 'load':
      try {
        const session = await ort.InferenceSession.create(msg.modelPath, msg.options);
        sessions.set(msg.session, session);
        post({ kind: 'loaded', id: msg.id, metadata: sessionMetadata(session) });
      } catch (err) {
        post({ kind: 'failed', id: msg.id, message: errorText(err) });
      }
      return;
    case 'metadata':
      try {
        // Optimizations off (as in Triton's auto-complete) so this stays quick even for large graphs.
        const session = await ort.InferenceSession.create(msg.modelPath, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
        const metadata = sessionMetadata(session);
        await session.release();
        post({ kind: 'loaded', id: msg.id, metadata });
      } catch (err) {
        post({ kind: 'failed', id: msg.id, message: errorText(err) });
      }
      return;
    case 'release': {
      const session = sessions.get(msg.session);
      sessions.delete(msg.session);
      try {
        await session?.release();
      } finally {
        post({ kind: 'done', id: msg.id });
      }
      return;
    }
    case 'close':
      for (const s of sessions.values()) await s.release().catch(() => undefined);
      sessions.clear();
      process.exit(0);
  }
}

// One message at a time, in arrival order: a load posted before a run of the same session is done first.
let queue = Promise.resolve();
port.on('message', (msg: HostToWorker) => {
  queue = queue.then(() => handle(msg));
});
