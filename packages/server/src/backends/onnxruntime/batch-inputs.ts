/**
 * The tensors of config `batch_input`, generated for one execution (Triton's BackendInputCollector
 * BatchInputShape / ProcessBatchInput). For each request r of the batch, in order, with n_r the element
 * count of its source input (batch dim included):
 *
 *   BATCH_ELEMENT_COUNT                       [R]        n_r
 *   BATCH_ACCUMULATED_ELEMENT_COUNT           [R]        n_0 + ... + n_r
 *   BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO [R + 1]    0, then the accumulated counts
 *   BATCH_MAX_ELEMENT_COUNT_AS_SHAPE          [max n_r]  only the shape carries information (zeros)
 *   BATCH_ITEM_SHAPE                          [B, k]     one row per batch item: its shape without the batch dim
 *   BATCH_ITEM_SHAPE_FLATTEN                  [B * k]    the same rows, flattened
 *
 * R = requests, B = their total batch size, k = the source's rank minus the batch dim. Values are FP32
 * for data_type TYPE_FP32 and INT32 otherwise (config validation allows only those two).
 */
import type { InferenceRequest } from '../../core/index.js';
import type { BatchInput } from '../../config/types.js';
import { product } from './dims.js';
import type { WireTensor } from './types.js';

/** One feed per target name (Triton feeds every target the same tensor). */
export function batchInputFeeds(group: readonly InferenceRequest[], batchInputs: readonly BatchInput[]): WireTensor[] {
  const feeds: WireTensor[] = [];
  for (const bi of batchInputs) {
    const source = bi.source_input?.[0] ?? '';
    const shapes = group.map((r) => r.input(source)?.shape ?? []);
    const { dims, values } = generate(bi.kind ?? 'BATCH_ELEMENT_COUNT', shapes);
    const fp32 = bi.data_type === 'TYPE_FP32';
    const data = fp32 ? new Float32Array(values) : new Int32Array(values);
    for (const name of bi.target_name ?? []) {
      // A fresh buffer per target: each is transferred to the worker on its own.
      feeds.push({ name, type: fp32 ? 'float32' : 'int32', dims, data: new Uint8Array(data.slice().buffer) });
    }
  }
  return feeds;
}

function generate(kind: NonNullable<BatchInput['kind']>, shapes: readonly (readonly number[])[]): { dims: number[]; values: number[] } {
  const counts = shapes.map((s) => product(s));
  switch (kind) {
    case 'BATCH_ELEMENT_COUNT':
      return { dims: [counts.length], values: counts };
    case 'BATCH_ACCUMULATED_ELEMENT_COUNT':
      return { dims: [counts.length], values: accumulate(counts) };
    case 'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO':
      return { dims: [counts.length + 1], values: [0, ...accumulate(counts)] };
    case 'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE': {
      const max = counts.reduce((m, n) => Math.max(m, n), 0);
      return { dims: [max], values: new Array<number>(max).fill(0) };
    }
    case 'BATCH_ITEM_SHAPE':
    case 'BATCH_ITEM_SHAPE_FLATTEN': {
      const rows: number[] = [];
      let items = 0;
      let width = 0;
      for (const s of shapes) {
        const item = s.slice(1);
        width = item.length;
        for (let i = 0; i < (s[0] ?? 0); i++) rows.push(...item);
        items += s[0] ?? 0;
      }
      return { dims: kind === 'BATCH_ITEM_SHAPE' ? [items, width] : [rows.length], values: rows };
    }
  }
}

function accumulate(counts: readonly number[]): number[] {
  let sum = 0;
  return counts.map((n) => (sum += n));
}
