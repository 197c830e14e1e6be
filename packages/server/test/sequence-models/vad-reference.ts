/**
 * Test support for the Silero VAD example: deterministic 16 kHz audio and the reference result of running
 * the same ONNX file directly with onnxruntime-node, carrying the LSTM state h/c by hand between chunks
 * (what the server's implicit state must reproduce).
 */
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

export const VAD_DIR = fileURLToPath(new URL('../../../../examples/models/silero_vad/', import.meta.url));
export const VAD_FILE = `${VAD_DIR}1/model.onnx`;
export const CHUNK = 512;
export const SAMPLE_RATE = 16000;
/** h and c are [2, batch = 1, 64]. */
export const STATE_ELEMENTS = 2 * 64;

/**
 * `chunks` chunks of 512 samples: the first `silent` are near-silence (tiny noise), the rest a voiced-like
 * signal: a 140 Hz fundamental with decaying harmonics, a slow syllable-rate envelope, and noise. The
 * noise comes from a fixed LCG, so every run gets the same samples.
 */
export function synthesizeAudio(chunks: number, silent: number): Float32Array[] {
  let seed = 12345;
  const noise = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const out: Float32Array[] = [];
  for (let c = 0; c < chunks; c++) {
    const chunk = new Float32Array(CHUNK);
    for (let i = 0; i < CHUNK; i++) {
      const t = (c * CHUNK + i) / SAMPLE_RATE;
      if (c < silent) {
        chunk[i] = 0.001 * noise();
        continue;
      }
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * 140 * h * t + h) / h;
      const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
      chunk[i] = 0.25 * envelope * v + 0.02 * noise();
    }
    out.push(chunk);
  }
  return out;
}

export interface VadStep {
  readonly probability: number;
  readonly hn: Float32Array;
  readonly cn: Float32Array;
}

/** Runs the chunks through one InferenceSession, feeding each step's hn/cn back as the next h/c. */
export async function referenceVad(chunks: readonly Float32Array[]): Promise<VadStep[]> {
  const session = await ort.InferenceSession.create(VAD_FILE);
  try {
    let h = new Float32Array(STATE_ELEMENTS);
    let c = new Float32Array(STATE_ELEMENTS);
    const steps: VadStep[] = [];
    for (const chunk of chunks) {
      const r = await session.run({
        input: new ort.Tensor('float32', chunk, [1, chunk.length]),
        sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(SAMPLE_RATE)]), []),
        h: new ort.Tensor('float32', h, [2, 1, 64]),
        c: new ort.Tensor('float32', c, [2, 1, 64]),
      });
      h = Float32Array.from(r.hn!.data as Float32Array);
      c = Float32Array.from(r.cn!.data as Float32Array);
      steps.push({ probability: (r.output!.data as Float32Array)[0]!, hn: h, cn: c });
    }
    return steps;
  } finally {
    await session.release();
  }
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
