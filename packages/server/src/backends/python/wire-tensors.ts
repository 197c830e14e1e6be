/**
 * Tensors in stub frames: the header lists `{name, datatype, shape, size}` per tensor, the body holds
 * their bytes back to back (BYTES elements uint32-LE length-prefixed, as in core `Tensor`).
 */
import { elementByteSize, elementCount, isDataType } from '@inferd/protocol';
import { ServerError, type Tensor } from '../../core/index.js';

export interface WireTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly size: number;
}

export function describeTensor(t: Tensor): WireTensor {
  return { name: t.name, datatype: t.datatype, shape: t.shape, size: t.data.byteLength };
}

/**
 * Reads `descs` from `body` starting at `offset` (plain Uint8Array views, no copy: a Buffer's
 * `slice()` would not copy, and callers expect Uint8Array semantics). Returns the tensors and the offset
 * after them. A size that does not fit the shape is the model's fault: INTERNAL with the tensor named.
 */
export function readTensors(
  descs: readonly WireTensor[], body: Buffer, offset: number, model: string,
): { tensors: Tensor[]; offset: number } {
  const tensors: Tensor[] = [];
  for (const d of descs) {
    const datatype = d.datatype;
    if (!isDataType(datatype)) throw ServerError.internal(`model '${model}' returned output '${d.name}' with unknown datatype '${datatype}'`);
    const expected = elementCount(d.shape) * elementByteSize(datatype);
    if (datatype !== 'BYTES' && expected !== d.size) {
      throw ServerError.internal(
        `model '${model}' returned output '${d.name}' of shape [${d.shape.join(',')}] with ${d.size} bytes, expected ${expected}`,
      );
    }
    if (offset + d.size > body.byteLength) throw ServerError.internal(`model '${model}': truncated response frame`);
    tensors.push({ name: d.name, datatype, shape: d.shape, data: new Uint8Array(body.buffer, body.byteOffset + offset, d.size) });
    offset += d.size;
  }
  return { tensors, offset };
}
