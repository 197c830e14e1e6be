/**
 * `parameters { key: "FORCE_CPU_ONLY_INPUT_TENSORS" }` of a Python model, read as Triton's python backend reads
 * it: "yes" (the default) or "no", anything else refuses the model. Every input reaches an inferd stub in host
 * memory (frames and /dev/shm), so both values give CPU tensors (`is_cpu()` true); "no" only tells the model it
 * must not count on that, as in Triton, where inputs may then stay on a GPU.
 */
import type { ModelConfig } from '../../config/index.js';
import { ServerError } from '../../core/index.js';
import type { BackendLogger } from '../contract.js';

export const FORCE_CPU_PARAMETER = 'FORCE_CPU_ONLY_INPUT_TENSORS';

export function checkForceCpuInputs(config: ModelConfig, log: BackendLogger): void {
  const value = config.parameters?.[FORCE_CPU_PARAMETER]?.string_value;
  if (value === undefined) return;
  if (value === 'yes') log.info('Forcing CPU only input tensors.');
  else if (value === 'no') log.info('Input tensors can be both in CPU and GPU. FORCE_CPU_ONLY_INPUT_TENSORS is off.');
  // Triton's text, its unbalanced quote included.
  else throw ServerError.unsupported(`Incorrect value for FORCE_CPU_ONLY_INPUT_TENSORS: ${value}'`);
}
