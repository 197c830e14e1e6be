/**
 * Instance worker thread: owns one InferenceSession and runs it off the main thread, because
 * `session.run()` blocks its thread for the whole inference (ARCHITECTURE.md, "Where inference runs").
 * Tensors arrive and leave as bytes in transferred ArrayBuffers; strings are converted here, never on
 * the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { decodeBytesElements, encodeBytesElements } from '@inferd/protocol';
import { sessionMetadata } from './metadata.js';
import { releaseBuffers } from './release-buffers.js';
import { ortElementSize, type HostToWorker, type OrtType, type WireTensor, type WorkerInit, type WorkerToHost } from './types.js';

const port = parentPort;
if (port === null) throw new Error('onnxruntime worker must run in a worker thread');
const init = workerData as WorkerInit;
const strict = new TextDecoder('utf-8', { fatal: true });

type NumericOrtType = Exclude<OrtType, 'string'>;
type TypedArrayCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ort.Tensor.DataType;

const VIEWS: Readonly<Record<NumericOrtType, TypedArrayCtor>> = {
  bool: Uint8Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, float16: Uint16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, uint64: BigUint64Array, int64: BigInt64Array,
  float64: Float64Array,
};

function post(message: WorkerToHost, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function toOrt(t: WireTensor): ort.Tensor {
  if (t.type === 'string') {
    const strings = decodeBytesElements(t.data).map((e) => strict.decode(e));
    return new ort.Tensor('string', strings, t.dims);
  }
  const size = ortElementSize(t.type);
  let data = t.data;
  // TypedArray views need aligned offsets; the host sends offset-0 buffers, so this copy is a safety net.
  if (data.byteOffset % size !== 0) data = data.slice();
  const view = new VIEWS[t.type](data.buffer, data.byteOffset, data.byteLength / size);
  return new ort.Tensor(t.type, view as never, t.dims);
}

function fromOrt(name: string, tensor: ort.Tensor): WireTensor {
  const type = tensor.type as OrtType;
  if (type === 'string') {
    return { name, type, dims: tensor.dims, data: encodeBytesElements(tensor.data as string[]) };
  }
  const data = tensor.data as ArrayBufferView;
  return { name, type, dims: tensor.dims, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Run errors go back to the client in the response; ORT's own stderr copy of them is noise. */
const RUN_OPTIONS = { logSeverityLevel: 4 } as const;

async function run(session: ort.InferenceSession, msg: Extract<HostToWorker, { kind: 'run' }>): Promise<void> {
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of msg.feeds) feeds[t.name] = toOrt(t);
    const results = await session.run(feeds, msg.fetches as string[], RUN_OPTIONS);
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
    post({ kind: 'result', id: msg.id, outputs }, transfer);
  } catch (err) {
    post({ kind: 'run-error', id: msg.id, message: (err instanceof Error ? err.message : String(err)).trimEnd() });
  } finally {
    // The feeds were moved or copied here for this run alone; the results are already posted.
    releaseBuffers(msg.feeds.map((t) => t.data));
  }
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(init.modelPath, init.options);
  } catch (err) {
    post({ kind: 'load-error', message: (err instanceof Error ? err.message : String(err)).trimEnd() });
    return;
  }
  // One run at a time: the host sends one batch per instance, but chaining keeps that true regardless.
  let queue = Promise.resolve();
  port!.on('message', (msg: HostToWorker) => {
    if (msg.kind === 'close') {
      queue = queue.then(async () => {
        await session.release();
        process.exit(0);
      });
      return;
    }
    queue = queue.then(() => run(session, msg));
  });
  post({ kind: 'ready', metadata: sessionMetadata(session) });
}

void main();
