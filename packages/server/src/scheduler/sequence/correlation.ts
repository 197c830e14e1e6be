/**
 * Correlation ids as the sequence batcher keys and encodes them. Triton keeps the id's type: the number
 * 5 and the string "5" are different sequences, so the map key carries the type.
 */
import type { DataType } from '@inferd/protocol';

export type CorrelationId = bigint | string;

/** 0n / '' = the request is not part of a sequence. */
export function hasCorrelationId(id: CorrelationId): boolean {
  return typeof id === 'bigint' ? id !== 0n : id !== '';
}

export function correlationKey(id: CorrelationId): string {
  return typeof id === 'bigint' ? `n${id}` : `s${id}`;
}

/** The protocol datatype of the id itself: UINT64 for numbers, BYTES for strings (Triton's SequenceId). */
export function correlationIdType(id: CorrelationId): DataType {
  return typeof id === 'bigint' ? 'UINT64' : 'BYTES';
}

/** Whether an id of this kind can fill a CORRID control of `datatype` (numbers: any integer type; strings: BYTES). */
export function corridAccepts(datatype: DataType, id: CorrelationId): boolean {
  return typeof id === 'bigint' ? datatype !== 'BYTES' : datatype === 'BYTES';
}

/**
 * One CORRID element: 64-bit types get the id as little-endian two's complement, 32-bit types its low 32
 * bits (Triton copies the first bytes of the uint64), BYTES a uint32-LE length prefix and the UTF-8 text.
 */
export function encodeCorrelationId(datatype: DataType, id: CorrelationId): Uint8Array {
  if (typeof id === 'string') {
    const text = Buffer.from(id, 'utf8');
    const out = new Uint8Array(4 + text.byteLength);
    new DataView(out.buffer).setUint32(0, text.byteLength, true);
    out.set(text, 4);
    return out;
  }
  const wide = datatype === 'UINT64' || datatype === 'INT64';
  const out = new Uint8Array(wide ? 8 : 4);
  const view = new DataView(out.buffer);
  if (wide) view.setBigUint64(0, BigInt.asUintN(64, id), true);
  else view.setUint32(0, Number(BigInt.asUintN(32, id)), true);
  return out;
}
