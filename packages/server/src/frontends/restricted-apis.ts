/**
 * Restricted API groups (spec §4.6): a group listed here answers only callers that send the
 * configured header (HTTP) or metadata (gRPC) with the configured value. Plain data, filled by the
 * CLI from `--http-restricted-api` / `--grpc-restricted-protocol` and read by both frontends.
 */

/** Triton's category names, in its order. */
export const RESTRICTED_GROUPS = [
  'health', 'metadata', 'inference', 'shared-memory', 'model-config', 'model-repository', 'statistics', 'trace', 'logging',
] as const;

export type RestrictedGroup = (typeof RESTRICTED_GROUPS)[number];

/** The header (or gRPC metadata key, prefix included) and the value a caller must send. */
export interface Restriction {
  readonly key: string;
  readonly value: string;
}

export type RestrictedApis = ReadonlyMap<RestrictedGroup, Restriction>;

/**
 * Request parameters from the headers whose name matches `pattern` (string values). A header sent
 * several times keeps its last value.
 */
export function forwardedHeaders(
  pattern: RegExp,
  headers: Iterable<readonly [string, string | readonly string[] | undefined]>,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [name, value] of headers) {
    if (value === undefined) continue;
    pattern.lastIndex = 0;
    if (!pattern.test(name)) continue;
    out ??= {};
    out[name] = typeof value === 'string' ? value : value[value.length - 1] ?? '';
  }
  return out;
}
