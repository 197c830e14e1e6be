/**
 * What the metadata APIs report (spec §1.2, §1.3): the server's name, the Triton version and
 * extensions it answers as, and a model's versions and tensors as clients see them (a batching
 * model's shapes carry the -1 batch dimension in front).
 */
import type { ModelSpec } from './contracts.js';

export const SERVER_VERSION = '2.73.0dev';

/** Extensions as Triton's core reports them (spec §1.2). */
export const SERVER_EXTENSIONS = [
  'classification', 'sequence', 'model_repository', 'model_repository(unload_dependents)', 'schedule_policy',
  'model_configuration', 'system_shared_memory', 'cuda_shared_memory', 'binary_tensor_data', 'parameters',
  'statistics', 'trace', 'logging',
] as const;

export interface ServerMetadata {
  /** `--id` (default `triton`) and the Triton version whose behaviour inferd follows: what Triton clients expect. */
  name: string;
  version: string;
  extensions: string[];
  /** inferd's own release (package.json), an extra field Triton clients ignore; gRPC's message has no room for it. */
  inferd_version: string;
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** A model's metadata from its spec and the versions to list. */
export function modelMetadataOf(spec: ModelSpec, versions: string[]): ModelMetadata {
  const batch = spec.maxBatchSize > 0;
  const meta = (t: { name: string; datatype: string; dims: readonly number[] }): TensorMetadata => ({
    name: t.name,
    datatype: t.datatype,
    shape: batch ? [-1, ...t.dims] : [...t.dims],
  });
  return {
    name: spec.name,
    versions,
    platform: spec.platform,
    inputs: spec.inputs.map(meta),
    outputs: spec.outputs.map(meta),
  };
}
