/** `[1,16]` in Triton's DimsListToString form. */
export function dimsToString(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
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
