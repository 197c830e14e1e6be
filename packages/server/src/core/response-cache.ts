/**
 * Triton's response cache (spec §12, `--cache-config local,size=<bytes>`): one in-memory LRU shared by
 * every model whose config has `response_cache { enable: true }`.
 *
 * Key: SHA-256 over the model name, the resolved version, every input (name, datatype, shape, bytes; in
 * name order, so the order a client lists inputs in does not matter) and the names of the requested
 * outputs in request order. Triton hashes the inputs only; with the outputs in the key a request asking
 * for a subset (or a different order) never receives another request's output set. Request parameters
 * are not in the key, as in Triton. Classification is applied after the cache (the stored outputs are
 * the backend's), so its top-k count is not part of the key either.
 *
 * Budget: an entry costs its output bytes plus a fixed allowance per tensor and per entry for names,
 * shapes and bookkeeping; least recently used entries go first; an entry larger than the whole budget
 * is not stored.
 */
import { createHash } from 'node:crypto';
import { ServerError } from './errors.js';
import type { Tensor } from './tensor.js';
import type { RequestedOutput } from './request.js';
import type { Parameters } from './response.js';

/** `--cache-config local,size=N` in object form. `size` is the byte budget (0 = nothing is stored). */
export interface ResponseCacheConfig {
  readonly local: { readonly size: number };
}

/** What a hit returns: the outputs and parameters of the stored successful response. */
export interface CachedResponse {
  readonly outputs: readonly Tensor[];
  readonly parameters?: Parameters;
}

const ENTRY_OVERHEAD = 128;
const TENSOR_OVERHEAD = 64;

/**
 * Parses `--cache-config` values (`<cache>,<key>=<value>`, entries of one cache merge). Only the `local`
 * cache exists in inferd; it takes `size` (bytes, required). Throws INVALID_ARG with a message for the
 * user on anything else. An empty list means no cache.
 */
export function parseCacheConfig(entries: readonly string[]): ResponseCacheConfig | undefined {
  if (entries.length === 0) return undefined;
  let size: number | undefined;
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    const cache = comma < 0 ? entry : entry.slice(0, comma);
    if (cache !== 'local') {
      throw ServerError.invalidArg(
        `--cache-config: cache '${cache}' is not available in inferd (only 'local' is); expected local,size=<bytes>`,
      );
    }
    if (comma < 0) continue;
    for (const setting of entry.slice(comma + 1).split(',')) {
      const eq = setting.indexOf('=');
      const key = eq < 0 ? setting : setting.slice(0, eq);
      const value = eq < 0 ? '' : setting.slice(eq + 1);
      if (key !== 'size') throw ServerError.invalidArg(`--cache-config: unknown setting '${key}' for cache 'local' (only size)`);
      if (!/^\d+$/.test(value)) {
        throw ServerError.invalidArg(`--cache-config: local cache size must be a non-negative number of bytes, got '${value}'`);
      }
      size = Number(value);
    }
  }
  if (size === undefined) throw ServerError.invalidArg('--cache-config: the local cache needs a size, e.g. local,size=1048576');
  return { local: { size } };
}

interface Entry {
  readonly response: CachedResponse;
  readonly bytes: number;
}

export class ResponseCache {
  readonly #budget: number;
  /** Map order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #used = 0;

  constructor(config: ResponseCacheConfig) {
    this.#budget = config.local.size;
  }

  /** Byte budget (`size`). */
  get capacity(): number {
    return this.#budget;
  }

  /** Bytes charged to the stored entries. */
  get usedBytes(): number {
    return this.#used;
  }

  get entryCount(): number {
    return this.#entries.size;
  }

  /** The cache key of one request (see the file comment for what it covers). */
  key(
    modelName: string, modelVersion: number, inputs: readonly Tensor[], outputs: readonly RequestedOutput[],
  ): string {
    const hash = createHash('sha256');
    // Unambiguous byte stream: a JSON header (names, datatypes, shapes, data lengths; JSON never holds
    // a raw NUL), a NUL, then the input bytes in header order, whose lengths the header fixes.
    const sorted = inputs.length > 1 ? [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : inputs;
    const header = JSON.stringify([
      modelName, modelVersion,
      sorted.map((t) => [t.name, t.datatype, t.shape, t.data.byteLength]),
      outputs.map((o) => o.name),
    ]);
    hash.update(header);
    hash.update('\0');
    for (const t of sorted) hash.update(t.data);
    return hash.digest('base64');
  }

  /** The stored response for `key` (now the most recently used), or undefined. */
  lookup(key: string): CachedResponse | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.response;
  }

  /**
   * Stores a copy of a successful response's outputs under `key`, evicting least recently used entries
   * to stay within the budget. Returns false when the entry alone exceeds the budget (not stored).
   */
  insert(key: string, response: CachedResponse): boolean {
    let bytes = ENTRY_OVERHEAD + key.length;
    for (const t of response.outputs) bytes += TENSOR_OVERHEAD + t.name.length + 8 * t.shape.length + t.data.byteLength;
    if (bytes > this.#budget) return false;
    this.#remove(key);
    while (this.#used + bytes > this.#budget) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#remove(oldest.value);
    }
    // Copies: the backend's buffers may be views the frontend or worker reuses; the cache owns its bytes.
    const outputs = response.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], data: t.data.slice() }));
    const stored: CachedResponse = response.parameters === undefined ? { outputs } : { outputs, parameters: response.parameters };
    this.#entries.set(key, { response: stored, bytes });
    this.#used += bytes;
    return true;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#used -= entry.bytes;
  }
}
