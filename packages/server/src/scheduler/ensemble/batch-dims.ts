/**
 * The batch dimension between ensemble steps (Triton's EnsembleContext::ReshapeTensorDims). A tensor
 * remembers the batch size of the request that produced it (0 = a model without batching, or an
 * ensemble input of a non-batching ensemble). When the model that reads it batches and the producer did
 * not, or the other way round, its shape is adjusted against the reader's configured dims:
 * - reader batches, tensor unbatched: a shape equal to the reader's dims gets a leading batch dim 1;
 *   any other shape is taken to carry its batch dim already.
 * - reader does not batch, tensor batched: a batch-1 tensor whose shape does not fit the reader's dims
 *   loses its leading dim; any other shape is passed as it is (the reader's validation then decides).
 * The same rule turns the last step's outputs into the ensemble's own output shapes.
 */

/** Same rank, and every dim equal or -1 on either side (Triton's CompareDimsWithWildcard). */
function fitsDims(configDims: readonly number[], shape: readonly number[]): boolean {
  return configDims.length === shape.length && configDims.every((d, i) => d === -1 || shape[i] === -1 || d === shape[i]);
}

/**
 * The shape `shape` is given to a reader with `configDims` (no batch dim) that batches or not, for a
 * tensor produced with batch size `tensorBatch` (0 = unbatched).
 */
export function readerShape(
  configDims: readonly number[], readerBatches: boolean, tensorBatch: number, shape: readonly number[],
): readonly number[] {
  if (readerBatches === (tensorBatch !== 0)) return shape;
  if (readerBatches) return fitsDims(configDims, shape) ? [1, ...shape] : shape;
  return !fitsDims(configDims, shape) && tensorBatch === 1 ? shape.slice(1) : shape;
}
