/** A dim as a frontend read it: a bigint when it is an integer past 2^53 (a number would round it). */
export type ExactDim = number | bigint;

/** `[1,16]` in Triton's DimsListToString form (int64 digits: never `1152921504606847000` or `1e+21`). */
export function dimsToString(dims: readonly ExactDim[]): string {
  return `[${dims.map((d) => (typeof d === 'number' && !Number.isSafeInteger(d) && Number.isInteger(d) ? BigInt(d) : d)).join(',')}]`;
}

/** Equal rank and every dim equal unless the expected one is -1 (wildcard). */
export function dimsMatch(expected: readonly number[], actual: readonly number[]): boolean {
  if (expected.length !== actual.length) return false;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (e !== -1 && e !== actual[i]) return false;
  }
  return true;
}

const INT64_MAX = (1n << 63n) - 1n;

/**
 * Triton's overflow checks on an input shape (its element count and byte size are int64): the text of
 * the refusal, or undefined when the shape is representable. `elementSize` is 0 for BYTES (no fixed
 * size). Shapes are checked before anything is allocated for them. Dims past 2^53 are given exactly
 * (bigint) by the frontends that still hold them, so the text shows the shape the client sent.
 */
export function shapeOverflow(name: string, model: string, shape: readonly ExactDim[], elementSize: number): string | undefined {
  // Fast path: a double product well below 2^63 cannot have overflowed (doubles err by far less than 2x).
  let approx = Math.max(elementSize, 1);
  for (const d of shape) approx *= Number(d);
  if (approx < 2 ** 62) return undefined;
  let count = 1n;
  for (const d of shape) {
    if (d === 0 || d === 0n) return undefined;
    count *= BigInt(d);
  }
  if (count > INT64_MAX) {
    return `input '${name}' for model '${model}' with shape ${dimsToString(shape)} causes total element count to exceed maximum size of ${INT64_MAX}`;
  }
  if (count * BigInt(elementSize) > INT64_MAX) return `byte size overflow for input '${name}' for model '${model}'`;
  return undefined;
}
