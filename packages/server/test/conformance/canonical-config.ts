/**
 * One comparable form of a model configuration from either transport. HTTP sends protobuf JSON (64-bit
 * integers as numbers, unset messages absent); the gRPC test client decodes with proto-loader (64-bit
 * integers as decimal strings, unset messages null, a virtual property naming each oneof's set field).
 * Only those representation differences are removed; every value must still match.
 */
export function canonicalConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalConfig);
  if (typeof value === 'string') return /^-?\d+$/.test(value) ? Number(value) : value;
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue;
    // proto-loader's oneof marker: a string naming a sibling message field that is set.
    if (typeof v === 'string' && v !== k && typeof obj[v] === 'object' && obj[v] !== null) continue;
    out[k] = canonicalConfig(v);
  }
  return out;
}
