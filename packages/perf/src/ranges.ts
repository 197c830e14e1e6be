/** perf_analyzer's `start[:end[:step]]` ranges and `name:d1,d2` shapes. */
import { ServerError } from 'inferd';
import type { LoadRange } from './options.js';

/** `4` = 4:4:1; `1:8` = 1..8 step 1; `1:8:2`. Values may be fractional for request rates. */
export function parseRange(text: string, flag: string): LoadRange {
  const parts = text.split(':').map((p) => p.trim());
  if (parts.length > 3 || parts.some((p) => p === '' || !Number.isFinite(Number(p)))) {
    throw ServerError.invalidArg(`${flag}: expected start[:end[:step]], got '${text}'`);
  }
  const [start, end, step] = parts.map(Number) as [number, number?, number?];
  const range = { start, end: end ?? start, step: step ?? 1 };
  if (range.start <= 0 || range.end < range.start || range.step <= 0) {
    throw ServerError.invalidArg(`${flag}: need 0 < start <= end and step > 0, got '${text}'`);
  }
  return range;
}

/** The load levels of a range, start to end inclusive. */
export function rangeValues(range: LoadRange): number[] {
  const out: number[] = [];
  // Fractional steps accumulate error; stepping by index keeps the end value reachable.
  for (let i = 0; ; i++) {
    const v = range.start + i * range.step;
    if (v > range.end + 1e-9) break;
    out.push(Math.round(v * 1e6) / 1e6);
  }
  return out;
}

/** `INPUT0:1,3,224,224` -> ['INPUT0', [1,3,224,224]]. The name may itself contain ':'. */
export function parseShape(text: string): [string, number[]] {
  const at = text.lastIndexOf(':');
  const name = text.slice(0, at);
  const dims = text.slice(at + 1).split(',').map((d) => Number(d.trim()));
  if (at <= 0 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw ServerError.invalidArg(`--shape: expected name:d1,d2,..., got '${text}'`);
  }
  return [name, dims];
}
