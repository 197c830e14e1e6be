/** What both protocols share: inputs, requested outputs, results, errors and the option/answer types. */
export { InferInput, type SetDataOptions, type SharedMemoryRef } from './infer-input.js';
export { InferRequestedOutput, type RequestedOutputOptions } from './requested-output.js';
export { InferResult, type OutputInfo } from './infer-result.js';
export { InferenceServerError, GRPC_CODE } from './errors.js';
export { encodeTensorData, decodeTensorData, type TensorData } from './tensor-data.js';
export type * from './types.js';
export type { DataType, NumericArray } from '@inferd/protocol';
