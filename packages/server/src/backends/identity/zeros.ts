/**
 * What Triton's identity backend answers for an optional input the request left out when its output
 * is asked for: an all-zero tensor of the input's config datatype and shape (`reshape` if set, else
 * `dims`, each -1 taken as 1), with the request's batch size prepended when the model batches. The
 * batch size comes from the request's first input; a request with no inputs at all gets no batch dim.
 */
import { elementByteSize, elementCount } from '@inferd/protocol';
import type { InferenceRequest, Tensor, TensorSpec } from '../../core/index.js';

export function zerosFor(outputName: string, input: TensorSpec, request: InferenceRequest, batching: boolean): Tensor {
  const shape = (input.reshape ?? input.dims).map((d) => (d === -1 ? 1 : d));
  const batchDim = batching ? request.inputs[0]?.shape[0] ?? 0 : 0;
  if (batchDim !== 0) shape.unshift(batchDim);
  // BYTES: every element an empty string, i.e. a zero uint32 length prefix; the bytes are zeros as well.
  const elementSize = input.datatype === 'BYTES' ? 4 : elementByteSize(input.datatype);
  return { name: outputName, datatype: input.datatype, shape, data: new Uint8Array(elementCount(shape) * elementSize) };
}
