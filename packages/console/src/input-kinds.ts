/**
 * How the Try it form offers each input, guessed from the model's metadata: an encoded image as one
 * BYTES element (the OCR ensemble), an image resized into an FP32 [3,H,W] tensor (classifiers such as
 * text_direction), a WAV's 16 kHz samples (an audio model with a sample-rate input), or typed JSON.
 */
import type { TensorMeta } from './api.js';

export type InputKind = 'image-bytes' | 'image-chw' | 'wav' | 'sample-rate' | 'json';

export function inputKind(t: TensorMeta, all: TensorMeta[], batched: boolean): InputKind {
  const dims = batched ? t.shape.slice(1) : t.shape;
  if (t.datatype === 'BYTES' && /image|img|photo/i.test(t.name) && dims.length === 1 && dims[0]! <= 1) return 'image-bytes';
  const chw = dims.length === 3 && dims[0] === 3 && dims[1]! > 0 && dims[2]! > 0;
  if (t.datatype === 'FP32' && chw) return 'image-chw';
  const rate = all.find((o) => /^(sr|sample_rate)$/i.test(o.name));
  if (rate !== undefined && t === rate) return 'sample-rate';
  if (rate !== undefined && t.datatype === 'FP32') return 'wav';
  return 'json';
}

/** The shape sent: -1 dims become 1 (or `n` for the one variable dim of a list input), the batch dim 1. */
export function concreteShape(t: TensorMeta, batched: boolean, n?: number): number[] {
  const dims = batched ? t.shape.slice(1) : t.shape;
  const out = dims.map((d) => (d < 0 ? 1 : d));
  if (n !== undefined) {
    const i = dims.findIndex((d) => d < 0);
    if (i >= 0) out[i] = n;
  }
  return batched ? [1, ...out] : out;
}

export type Normalization = '0..1' | '-1..1' | 'imagenet';

export type Fit = 'stretch' | 'pad';

/** Text-line models (PaddleOCR's classifier: 48×192) take a line at its own aspect ratio, padded on the right. */
export function defaultFit(w: number, h: number): Fit {
  return w >= 2 * h ? 'pad' : 'stretch';
}

/**
 * RGB planes of `img` in a w×h tensor, scaled per `norm`: stretched to fill it, or (`pad`) resized to
 * height h keeping its aspect ratio (at most w wide) with the rest 0 after normalization, as PaddleOCR does.
 */
export function imageToChw(img: HTMLImageElement, w: number, h: number, norm: Normalization, fit: Fit = 'stretch'): number[] {
  const drawW = fit === 'pad' ? Math.max(1, Math.min(w, Math.ceil((h * img.naturalWidth) / img.naturalHeight))) : w;
  const canvas = document.createElement('canvas');
  canvas.width = drawW;
  canvas.height = h;
  const g = canvas.getContext('2d')!;
  g.drawImage(img, 0, 0, drawW, h);
  const px = g.getImageData(0, 0, drawW, h).data;
  const mean = norm === 'imagenet' ? [0.485, 0.456, 0.406] : norm === '-1..1' ? [0.5, 0.5, 0.5] : [0, 0, 0];
  const std = norm === 'imagenet' ? [0.229, 0.224, 0.225] : norm === '-1..1' ? [0.5, 0.5, 0.5] : [1, 1, 1];
  const out = new Array<number>(3 * w * h).fill(0);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < drawW; x++) out[c * w * h + y * w + x] = (px[(y * drawW + x) * 4 + c]! / 255 - mean[c]!) / std[c]!;
    }
  }
  return out;
}

/** A WAV (or any audio the browser decodes) as mono samples at `rate` Hz. */
export async function audioSamples(file: File, rate: number): Promise<number[]> {
  const ctx = new OfflineAudioContext(1, 1, rate);
  const buf = await ctx.decodeAudioData(await file.arrayBuffer());
  return Array.from(buf.getChannelData(0));
}

export function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser could not decode this image'));
    img.src = url;
  });
}
