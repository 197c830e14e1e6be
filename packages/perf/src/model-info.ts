/** What the load generator needs to know about a model, from its metadata and config (any transport). */
import { isDataType, type DataType } from '@inferd/protocol';
import { ServerError } from 'inferd';

export interface TensorInfo {
  readonly name: string;
  readonly datatype: DataType;
  /** Dims without the batch dimension (-1 = variable). */
  readonly dims: readonly number[];
  /** config `optional: true` (inputs only): left out when perf has no shape or data for it. */
  readonly optional?: boolean;
}

export interface ModelInfo {
  readonly name: string;
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly responseCache: boolean;
  readonly decoupled: boolean;
  readonly sequenceBatching: boolean;
}

interface MetadataTensor { name: string; datatype: string; shape: readonly (number | string)[] }
export interface ModelMetadataLike { name: string; inputs: readonly MetadataTensor[]; outputs: readonly MetadataTensor[] }

/** Metadata (KServe v2 shape) + config (Triton's /config JSON) -> ModelInfo. */
export function modelInfo(metadata: ModelMetadataLike, config: Readonly<Record<string, unknown>>): ModelInfo {
  const maxBatchSize = Number(config['max_batch_size'] ?? 0);
  const tensor = (t: MetadataTensor): TensorInfo => {
    if (!isDataType(t.datatype)) throw ServerError.unsupported(`tensor '${t.name}' has unknown datatype '${t.datatype}'`);
    const shape = t.shape.map(Number);
    return { name: t.name, datatype: t.datatype, dims: maxBatchSize > 0 ? shape.slice(1) : shape };
  };
  const optional = new Set(
    ((config['input'] ?? []) as { name?: string; optional?: boolean }[]).filter((i) => i.optional === true).map((i) => i.name),
  );
  const cache = config['response_cache'] as { enable?: boolean } | undefined;
  const policy = config['model_transaction_policy'] as { decoupled?: boolean } | undefined;
  return {
    name: metadata.name,
    maxBatchSize,
    inputs: metadata.inputs.map((t) => (optional.has(t.name) ? { ...tensor(t), optional: true } : tensor(t))),
    outputs: metadata.outputs.map(tensor),
    responseCache: cache?.enable === true,
    decoupled: policy?.decoupled === true,
    sequenceBatching: config['sequence_batching'] !== undefined && config['sequence_batching'] !== null,
  };
}
