import type { DataType } from '@inferd/protocol';

/**
 * A tensor as it travels through the server: name, datatype, full shape (batch dim included when the
 * model batches) and little-endian row-major bytes. BYTES elements are uint32-LE length-prefixed, the
 * same layout as the binary tensor extension, so the wire bytes can be used without conversion.
 */
export interface Tensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}
