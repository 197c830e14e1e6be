/**
 * The server-side part of a measurement (statistics extension, spec §4.4): counters of one model
 * summed over its versions, read before and after a window and diffed, as perf_analyzer does.
 * Accepts the HTTP JSON shape and the gRPC message (camelCase, ns as strings or bigints).
 */

export interface DurationStat { count: number; ns: number }

export interface ServerStats {
  inferenceCount: number;
  executionCount: number;
  success: DurationStat;
  queue: DurationStat;
  computeInput: DurationStat;
  computeInfer: DurationStat;
  computeOutput: DurationStat;
  cacheHit: DurationStat;
  cacheMiss: DurationStat;
}

const KEYS = ['success', 'queue', 'computeInput', 'computeInfer', 'computeOutput', 'cacheHit', 'cacheMiss'] as const;
const SNAKE: Record<(typeof KEYS)[number], string> = {
  success: 'success', queue: 'queue', computeInput: 'compute_input', computeInfer: 'compute_infer',
  computeOutput: 'compute_output', cacheHit: 'cache_hit', cacheMiss: 'cache_miss',
};

export function emptyStats(): ServerStats {
  const d = (): DurationStat => ({ count: 0, ns: 0 });
  return {
    inferenceCount: 0, executionCount: 0, success: d(), queue: d(), computeInput: d(), computeInfer: d(),
    computeOutput: d(), cacheHit: d(), cacheMiss: d(),
  };
}

type Obj = Record<string, unknown>;
const field = (o: Obj | undefined, snake: string, camel: string): unknown => o?.[snake] ?? o?.[camel];
const num = (v: unknown): number => (v === undefined || v === null ? 0 : Number(v));
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** `{model_stats: [...]}` -> the summed counters of `model` (and `version` when given). */
export function parseModelStats(response: unknown, model: string, version: string): ServerStats {
  const out = emptyStats();
  const list = (field(response as Obj, 'model_stats', 'modelStats') ?? []) as Obj[];
  for (const entry of list) {
    if (entry['name'] !== model) continue;
    if (version !== '' && String(entry['version']) !== version) continue;
    out.inferenceCount += num(field(entry, 'inference_count', 'inferenceCount'));
    out.executionCount += num(field(entry, 'execution_count', 'executionCount'));
    const inf = field(entry, 'inference_stats', 'inferenceStats') as Obj | undefined;
    for (const k of KEYS) {
      const d = field(inf, SNAKE[k], camel(SNAKE[k])) as Obj | undefined;
      out[k].count += num(d?.['count']);
      out[k].ns += num(d?.['ns']);
    }
  }
  return out;
}

/** after - before (counters only grow). */
export function diffStats(after: ServerStats, before: ServerStats): ServerStats {
  const out = emptyStats();
  out.inferenceCount = after.inferenceCount - before.inferenceCount;
  out.executionCount = after.executionCount - before.executionCount;
  for (const k of KEYS) out[k] = { count: after[k].count - before[k].count, ns: after[k].ns - before[k].ns };
  return out;
}

/** a + b (summing consecutive windows). */
export function addStats(a: ServerStats, b: ServerStats): ServerStats {
  const out = emptyStats();
  out.inferenceCount = a.inferenceCount + b.inferenceCount;
  out.executionCount = a.executionCount + b.executionCount;
  for (const k of KEYS) out[k] = { count: a[k].count + b[k].count, ns: a[k].ns + b[k].ns };
  return out;
}

/** Average µs of one component (0 without samples). */
export function avgUs(d: DurationStat): number {
  return d.count > 0 ? d.ns / d.count / 1000 : 0;
}
