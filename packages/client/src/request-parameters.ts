/** The request-level parameters both protocols send: sequence and scheduling keys, then the caller's own. */
import type { InferOptions, ParameterValue } from './types.js';

/** Request-level parameters: the reserved sequence / scheduling keys, then the caller's own. */
export function requestParameters(options: InferOptions): Record<string, ParameterValue> {
  const p: Record<string, ParameterValue> = {};
  const seq = options.sequenceId;
  // As tritonclient: both flags are sent whenever a correlation id is set.
  if (seq !== undefined && seq !== 0 && seq !== '' && seq !== 0n) {
    p.sequence_id = seq;
    p.sequence_start = options.sequenceStart ?? false;
    p.sequence_end = options.sequenceEnd ?? false;
  }
  if (options.priority !== undefined && options.priority !== 0) p.priority = options.priority;
  if (options.timeout !== undefined) p.timeout = options.timeout;
  return { ...p, ...options.parameters };
}
