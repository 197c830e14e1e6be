/**
 * Restricted API groups (spec §4.6): a group listed here answers only callers that send the
 * configured header (HTTP) or metadata (gRPC) with the configured value. Plain data, filled by the
 * CLI from `--http-restricted-api` / `--grpc-restricted-protocol` and read by both frontends.
 */

import { ServerError } from '../../core/index.js';

/** Triton's category names, in its order, then inferd's own `console` (HTTP only: the web console's pages and feeds). */
export const RESTRICTED_GROUPS = [
  'health', 'metadata', 'inference', 'shared-memory', 'model-config', 'model-repository', 'statistics', 'trace', 'logging',
  'console',
] as const;

export type RestrictedGroup = (typeof RESTRICTED_GROUPS)[number];

/** The header (or gRPC metadata key, prefix included) and the value a caller must send. */
export interface Restriction {
  readonly key: string;
  readonly value: string;
}

export type RestrictedApis = ReadonlyMap<RestrictedGroup, Restriction>;

/**
 * Request parameter names the frontends give a meaning of their own (sequence, scheduling, output
 * kind): a forwarded header of that name would be read as that field, so Triton refuses it.
 */
const RESERVED_PARAMETERS: ReadonlySet<string> = new Set([
  'sequence_id', 'sequence_start', 'sequence_end', 'priority', 'timeout', 'binary_data_output', 'headers',
]);

function isReserved(name: string): boolean {
  const key = name.toLowerCase();
  return RESERVED_PARAMETERS.has(key) || key.startsWith('triton_');
}

/** Values with blanks at either end: gRPC (Triton's C++ stack) never hands such metadata over. */
const PADDED = /^[ \t]|[ \t]$/;

export interface ForwardOptions {
  /** Skip values with leading or trailing blanks (gRPC metadata). */
  readonly dropPadded?: boolean;
}

/**
 * Request parameters from the headers whose name matches `pattern` (string values). A header sent
 * several times keeps its last value. A matching header named like a reserved parameter is refused
 * (INVALID_ARG, HTTP 400), as Triton refuses it.
 */
export function forwardedHeaders(
  pattern: RegExp,
  headers: Iterable<readonly [string, string | readonly string[] | undefined]>,
  options: ForwardOptions = {},
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [name, value] of headers) {
    if (value === undefined) continue;
    pattern.lastIndex = 0;
    if (!pattern.test(name)) continue;
    if (isReserved(name)) {
      throw ServerError.invalidArg(
        `forwarded header '${name}' is a reserved parameter name for Triton usage and should not be specified.`,
      );
    }
    const text = typeof value === 'string' ? value : value[value.length - 1] ?? '';
    if (options.dropPadded === true && PADDED.test(text)) continue;
    out ??= {};
    out[name] = text;
  }
  return out;
}
