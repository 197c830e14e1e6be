/**
 * Turning one run's outputs back into per-request tensors: views into the worker's buffers (no copies),
 * shapes in config terms (batch dim first when batching, output reshape undone).
 */
import { ServerError, type InferenceRequest, type Tensor } from '../../core/index.js';
import type { DataType } from '@inferd/protocol';
import { product, resolveDims } from './dims.js';
import type { WireTensor } from './types.js';

export interface OutputPlan {
  readonly name: string;
  readonly datatype: DataType;
  /** Config dims without batch dim (what the client sees). */
  readonly dims: readonly number[];
  /** Config `reshape.shape`, when set: the shape the model produces. */
  readonly reshape: readonly number[] | undefined;
  /**
   * Config `batch_output` BATCH_SCATTER_WITH_INPUT_SHAPE: the model's output is every request's part
   * one after another; request r's part has `shape` (batch dim -1 first when batching, then the config
   * reshape or dims) with each -1 taken from r's `source` input at the same index (Triton's naive rule).
   */
  readonly scatter?: { readonly source: string; readonly shape: readonly number[] };
}

/** Per request, its outputs by name. */
export type SplitOutputs = Map<InferenceRequest, Map<string, Tensor>>;

export function splitOutputs(
  group: readonly InferenceRequest[], wires: readonly WireTensor[], plans: ReadonlyMap<string, OutputPlan>,
  batching: boolean, modelName: string,
): SplitOutputs {
  const out: SplitOutputs = new Map(group.map((r) => [r, new Map<string, Tensor>()]));
  for (const wire of wires) {
    const plan = plans.get(wire.name);
    if (plan === undefined) continue;
    if (plan.scatter !== undefined) {
      scatterWithInputShape(group, wire, plan, plan.scatter, out, modelName);
      continue;
    }
    if (!batching) {
      const only = group[0]!;
      out.get(only)!.set(plan.name, { name: plan.name, datatype: plan.datatype, shape: clientDims(plan, wire.dims), data: wire.data });
      continue;
    }
    const total = group.reduce((n, r) => n + r.batchSize, 0);
    if (wire.dims[0] !== total) {
      throw ServerError.internal(
        `output '${wire.name}' of model '${modelName}' has batch dimension ${wire.dims[0] ?? 'none'} but the batch holds ${total}`,
      );
    }
    const rowDims = clientDims(plan, wire.dims.slice(1));
    const rowElements = product(wire.dims.slice(1));
    const bounds = plan.datatype === 'BYTES' ? elementOffsets(wire.data) : undefined;
    const rowBytes = bounds === undefined ? (wire.data.byteLength / Math.max(total, 1)) : 0;
    let row = 0;
    for (const r of group) {
      const b = r.batchSize;
      const start = bounds === undefined ? row * rowBytes : bounds[row * rowElements]!;
      const end = bounds === undefined ? (row + b) * rowBytes : bounds[(row + b) * rowElements]!;
      out.get(r)!.set(plan.name, {
        name: plan.name, datatype: plan.datatype, shape: [b, ...rowDims], data: wire.data.subarray(start, end),
      });
      row += b;
    }
  }
  return out;
}

function scatterWithInputShape(
  group: readonly InferenceRequest[], wire: WireTensor, plan: OutputPlan, scatter: NonNullable<OutputPlan['scatter']>,
  out: SplitOutputs, modelName: string,
): void {
  const shapes = group.map((r) => {
    const source = r.input(scatter.source)?.shape ?? [];
    return scatter.shape.map((d, i) => (d === -1 ? source[i] ?? 0 : d));
  });
  const counts = shapes.map((s) => product(s));
  const total = counts.reduce((a, b) => a + b, 0);
  const bounds = plan.datatype === 'BYTES' ? elementOffsets(wire.data) : undefined;
  const elementBytes = bounds === undefined ? wire.data.byteLength / Math.max(product(wire.dims), 1) : 0;
  if ((bounds === undefined ? product(wire.dims) : bounds.length - 1) < total) {
    throw ServerError.internal(
      `output '${wire.name}' of model '${modelName}' has ${product(wire.dims)} elements but scattering it with the ` +
        `shape of input '${scatter.source}' needs ${total}`,
    );
  }
  let element = 0;
  group.forEach((r, i) => {
    const n = counts[i]!;
    const start = bounds === undefined ? element * elementBytes : bounds[element]!;
    const end = bounds === undefined ? (element + n) * elementBytes : bounds[element + n]!;
    out.get(r)!.set(plan.name, { name: plan.name, datatype: plan.datatype, shape: shapes[i]!, data: wire.data.subarray(start, end) });
    element += n;
  });
}

/** The model's (non-batch) dims as the client sees them: config dims when a reshape or rank differs. */
function clientDims(plan: OutputPlan, modelDims: readonly number[]): number[] {
  if (plan.reshape === undefined && plan.dims.length === modelDims.length) return [...modelDims];
  return resolveDims(plan.dims, product(modelDims), modelDims);
}

/** Byte offset where each length-prefixed element starts, plus the end (count + 1 entries). */
function elementOffsets(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offsets: number[] = [];
  let off = 0;
  while (off < data.byteLength) {
    offsets.push(off);
    off += 4 + view.getUint32(off, true);
  }
  offsets.push(off);
  return offsets;
}
