/**
 * Raw binary request (`Inference-Header-Content-Length: 0`, spec §2): the whole body is the data of the
 * model's only input, treated as batch 1, with the shape deduced from the byte size; every output is
 * returned binary.
 */
import { elementByteSize, encodeBytesElements, isDataType } from '@inferd/protocol';
import { ServerError, type InferenceServer, type Tensor } from '../../core/index.js';

export function rawInput(server: InferenceServer, model: string, version: string, body: Uint8Array): Tensor {
  const meta = server.modelMetadata(model, version);
  const config = server.modelConfig(model, version);
  const input = meta.inputs[0];
  if (meta.inputs.length !== 1 || input === undefined) {
    throw ServerError.invalidArg(
      `Raw request must only have 1 input (found 1) to be deduced but got ${meta.inputs.length} inputs in '${model}' model configuration`,
    );
  }
  const batching = typeof config.max_batch_size === 'number' && config.max_batch_size > 0;
  const dims = batching ? input.shape.slice(1) : input.shape;
  const datatype = input.datatype;
  if (!isDataType(datatype)) throw ServerError.internal(`model '${model}' reports unknown datatype '${datatype}'`);
  const batch = batching ? [1] : [];
  if (datatype === 'BYTES') {
    if (dims.length !== 1 || dims[0] !== 1) {
      throw ServerError.invalidArg(`For BYTE datatype raw input '${input.name}', the model must have input shape [1]`);
    }
    return { name: input.name, datatype, shape: [...batch, 1], data: encodeBytesElements([body]) };
  }
  const variable = dims.filter((d) => d < 0).length;
  if (variable > 1) {
    throw ServerError.invalidArg(
      `The shape of the raw input '${input.name}' can not be deduced because there are more than one variable-sized dimension`,
    );
  }
  const fixed = dims.reduce((n, d) => (d < 0 ? n : n * d), 1) * elementByteSize(datatype);
  // A size that does not divide evenly is left for request validation to report as a byte-size mismatch.
  const deduced = fixed === 0 ? 0 : Math.floor(body.byteLength / fixed);
  const shape = [...batch, ...dims.map((d) => (d < 0 ? deduced : d))];
  return { name: input.name, datatype, shape, data: body };
}
