/**
 * A session's input/output signature in Triton's terms. Imports nothing but types, because the
 * instance worker loads it too.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { IoInfo, SessionMetadata } from './types.js';

/** Names, ORT types and dims (symbolic or unknown dims as -1) of a session's inputs and outputs. */
export function sessionMetadata(session: InferenceSession): SessionMetadata {
  return { inputs: session.inputMetadata.map(ioInfo), outputs: session.outputMetadata.map(ioInfo) };
}

function ioInfo(m: InferenceSession.ValueMetadata): IoInfo {
  if (!m.isTensor) return { name: m.name, isTensor: false, type: '', dims: [] };
  return {
    name: m.name,
    isTensor: true,
    type: m.type,
    dims: m.shape.map((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : -1)),
  };
}
