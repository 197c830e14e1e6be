/**
 * The scheduler contract (scheduler-contract.ts) run against every scheduler: the default one, the
 * dynamic batcher, the sequence batcher (direct and oldest strategies) and the ensemble scheduler.
 */
import { REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START } from '../../src/core/index.js';
import { schedulerContract } from './scheduler-contract.js';

const DELAY_MS = 25;

function identity(name: string, batched: boolean, scheduling: string): Record<string, string | null> {
  return {
    [`${name}/config.pbtxt`]: [
      'backend: "identity"', `max_batch_size: ${batched ? 4 : 0}`,
      'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]',
      'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]',
      'instance_group [ { count: 1 kind: KIND_CPU } ]',
      `parameters [ { key: "execute_delay_ms" value: { string_value: "${DELAY_MS}" } } ]`, scheduling,
    ].join('\n'),
    [`${name}/1/`]: null,
  };
}

const same = (v: number): number[] => [v, v + 1];
/** Every request its own one-request sequence. */
const ownSequence = (i: number) => ({
  correlationId: BigInt(10_000 + i), flags: REQUEST_FLAG_SEQUENCE_START | REQUEST_FLAG_SEQUENCE_END,
});

schedulerContract('default', { files: identity('m', false, ''), batched: false, expected: same });

schedulerContract('dynamic batcher', {
  files: identity('m', true, 'dynamic_batching { max_queue_delay_microseconds: 2000 }'), batched: true, expected: same,
});

schedulerContract('sequence batcher (direct)', {
  files: identity('m', true, 'sequence_batching { max_sequence_idle_microseconds: 5000000 direct { } }'),
  batched: true, expected: same, extra: ownSequence,
});

schedulerContract('sequence batcher (oldest)', {
  files: identity('m', true, 'sequence_batching { max_sequence_idle_microseconds: 5000000 oldest { max_candidate_sequences: 4 } }'),
  batched: true, expected: same, extra: ownSequence,
});

schedulerContract('ensemble', {
  files: {
    ...identity('inner', false, ''),
    'm/config.pbtxt': [
      'platform: "ensemble"', 'max_batch_size: 0',
      'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]',
      'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]',
      'ensemble_scheduling { step [ { model_name: "inner" model_version: -1',
      '  input_map { key: "INPUT0" value: "INPUT0" } output_map { key: "OUTPUT0" value: "OUTPUT0" } } ] }',
    ].join('\n'),
    'm/1/': null,
  },
  batched: false, expected: same, alsoLoad: ['inner'],
});
