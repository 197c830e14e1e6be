/**
 * Sequence-batching control checks of Triton core (GetBooleanSequenceControlProperties /
 * GetTypedSequenceControlProperties) with their messages.
 */
import { ConfigError } from './errors.js';
import type { CONTROL_KINDS, ModelSequenceBatching } from './types.js';

type ControlKind = (typeof CONTROL_KINDS)[number];

const CORRID_TYPES = new Set(['TYPE_UINT64', 'TYPE_INT64', 'TYPE_UINT32', 'TYPE_INT32', 'TYPE_STRING']);

/** Finds the control of `kind` (at most one) and checks the tensor names; returns it or undefined. */
function findControl(batcher: ModelSequenceBatching, model: string, kind: ControlKind) {
  const seenTensors = new Set<string>();
  let found: NonNullable<NonNullable<ModelSequenceBatching['control_input']>[number]['control']>[number] | undefined;
  for (const input of batcher.control_input ?? []) {
    const name = input.name ?? '';
    if (name === '') throw new ConfigError(`sequence batching control tensor must have a name for ${model}`);
    if (seenTensors.has(name)) {
      throw new ConfigError(`sequence batching control tensor '${name}' is specified for multiple control kinds for ${model}`);
    }
    seenTensors.add(name);
    for (const c of input.control ?? []) {
      if ((c.kind ?? 'CONTROL_SEQUENCE_START') !== kind) continue;
      if (found !== undefined) throw new ConfigError(`sequence batching specifies multiple ${kind} tensors for ${model}`);
      found = c;
    }
  }
  return found;
}

function checkBooleanControl(batcher: ModelSequenceBatching, model: string, kind: ControlKind): void {
  const c = findControl(batcher, model, kind);
  if (c === undefined) return;
  const lists = [
    ['int32_false_true', c.int32_false_true?.length ?? 0],
    ['fp32_false_true', c.fp32_false_true?.length ?? 0],
    ['bool_false_true', c.bool_false_true?.length ?? 0],
  ] as const;
  const given = lists.filter(([, n]) => n > 0);
  if (given.length === 0) {
    throw new ConfigError(
      `sequence batching must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${model}`,
    );
  }
  if (given.length > 1) {
    throw new ConfigError(
      "sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' and 'bool_false_true' " +
        `for ${kind} for ${model}`,
    );
  }
  const [field, n] = given[0]!;
  if (n !== 2) {
    throw new ConfigError(`sequence batching control '${field}' must have exactly 2 entries for ${kind} for ${model}`);
  }
}

function checkCorrIdControl(batcher: ModelSequenceBatching, model: string): void {
  const kind = 'CONTROL_SEQUENCE_CORRID';
  const c = findControl(batcher, model, kind);
  if (c === undefined) return;
  if ((c.int32_false_true?.length ?? 0) + (c.fp32_false_true?.length ?? 0) + (c.bool_false_true?.length ?? 0) > 0) {
    throw new ConfigError(
      `sequence batching must not specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${model}`,
    );
  }
  if (!CORRID_TYPES.has(c.data_type ?? 'TYPE_INVALID')) {
    throw new ConfigError(
      `unexpected data type for control ${kind} for ${model}. ` +
        'Allowed data types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 and TYPE_STRING',
    );
  }
}

/** The sequence_batching part of Triton's ValidateModelConfig. */
export function validateSequenceBatching(
  batcher: ModelSequenceBatching, model: string, maxBatchSize: number, responseCache: boolean,
): void {
  if (responseCache) {
    throw new ConfigError(
      `Response Cache does not currently support model ${model} with sequence batching scheduler. Please disable the response cache.`,
    );
  }
  checkBooleanControl(batcher, model, 'CONTROL_SEQUENCE_START');
  checkBooleanControl(batcher, model, 'CONTROL_SEQUENCE_END');
  checkBooleanControl(batcher, model, 'CONTROL_SEQUENCE_READY');
  checkCorrIdControl(batcher, model);
  for (const size of batcher.oldest?.preferred_batch_size ?? []) {
    if (size <= 0) throw new ConfigError(`sequence batching preferred batch size must be positive for ${model}`);
    if (size > maxBatchSize) {
      throw new ConfigError(`sequence batching preferred batch size must be <= max batch size for ${model}`);
    }
  }
  const utilization = batcher.direct?.minimum_slot_utilization ?? 0;
  if (batcher.direct !== undefined && (utilization < 0 || utilization > 1)) {
    throw new ConfigError(`sequence batching minimum slot utilization must be in range (0.0, 1.0] for ${model}`);
  }
}
