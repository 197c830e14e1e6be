import { ServerError } from './errors.js';

/**
 * Protocol version string -> version number; '' / undefined = latest READY (undefined). Mirrors Triton's
 * stoll-based parse: a leading integer is taken, anything else is INVALID_ARG.
 */
export function parseModelVersion(version: string | undefined): number | undefined {
  if (version === undefined || version === '') return undefined;
  const m = /^\s*([+-]?\d+)/.exec(version);
  if (m === null || m[1] === undefined) {
    throw ServerError.invalidArg(
      `failed to get model version from specified version string '${version}' (details: stoll), version should be an integral value > 0`,
    );
  }
  const n = Number(m[1]);
  if (n < 0 || !Number.isSafeInteger(n)) {
    throw ServerError.invalidArg(
      `invalid model version specified '${version}' , version should be an integral value > 0`,
    );
  }
  return n;
}
