// Deterministic bench weights: uniform in [-scale, scale) from a linear congruential sequence (no Math.random),
// so every run builds byte-identical models.
export function uniformWeights(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = (x / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}
