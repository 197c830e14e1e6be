/** Shape arithmetic shared by input gathering and output splitting. */

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Concrete dims for `target` (config dims or a reshape) holding `count` elements: one -1 is inferred
 * from the rest; with several -1 the caller's `fallback` (the shape actually seen) is used.
 */
export function resolveDims(target: readonly number[], count: number, fallback: readonly number[]): number[] {
  let unknown = -1;
  let known = 1;
  for (let i = 0; i < target.length; i++) {
    const d = target[i]!;
    if (d === -1) {
      if (unknown !== -1) return [...fallback];
      unknown = i;
    } else {
      known *= d;
    }
  }
  const out = [...target];
  if (unknown !== -1) out[unknown] = known === 0 ? 0 : count / known;
  return out;
}
