/**
 * model_config.proto as data: the single source of truth that drives the pbtxt parser and printer, the
 * JSON parser and the /config JSON renderer. Fields are listed in proto *declaration* order (which is the
 * order protobuf's MessageToJson prints), not field-number order. Verified against
 * triton-inference-server/common protobuf/model_config.proto (2024 revision with runtime/model_metrics).
 */

export const SCALAR_TYPES = ['string', 'bool', 'int32', 'uint32', 'int64', 'uint64', 'float', 'double'] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];

export interface FieldDef {
  readonly name: string;
  /** `map` fields are `map<key, type>`; `type` is then the value type (a scalar or a message name). */
  readonly kind: 'scalar' | 'enum' | 'message' | 'map';
  /** Scalar type, enum name or message name. */
  readonly type: string;
  readonly repeated: boolean;
  /** Name of the containing oneof: its members have presence (a set default is still "set"). */
  readonly oneof?: string;
  /** Map key type. */
  readonly key?: 'string' | 'uint64';
  /**
   * Triton's ModelConfigToJson turns int64 fields into JSON numbers only on a fixed list of paths; the
   * few int64 fields off that list stay strings in /config (see spec §6.3 and core's FixInt calls).
   */
  readonly int64AsString?: boolean;
}

export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
}

type Opt = { oneof?: string; int64AsString?: boolean };
const f = (kind: FieldDef['kind'], repeated: boolean) => (name: string, type: string, opt: Opt = {}): FieldDef => ({
  name, kind, type, repeated, ...opt,
});
const scalar = f('scalar', false);
const scalars = f('scalar', true);
const enumOf = f('enum', false);
const message = f('message', false);
const messages = f('message', true);
const map = (name: string, key: 'string' | 'uint64', type: string): FieldDef => ({
  name, kind: 'map', type, repeated: false, key,
});

/** Enum value names; the index is the enum number (every enum of model_config.proto starts at 0, dense). */
export const ENUMS: Readonly<Record<string, readonly string[]>> = {
  DataType: [
    'TYPE_INVALID', 'TYPE_BOOL', 'TYPE_UINT8', 'TYPE_UINT16', 'TYPE_UINT32', 'TYPE_UINT64', 'TYPE_INT8', 'TYPE_INT16',
    'TYPE_INT32', 'TYPE_INT64', 'TYPE_FP16', 'TYPE_FP32', 'TYPE_FP64', 'TYPE_STRING', 'TYPE_BF16',
  ],
  'ModelInput.Format': ['FORMAT_NONE', 'FORMAT_NHWC', 'FORMAT_NCHW'],
  'ModelInstanceGroup.Kind': ['KIND_AUTO', 'KIND_GPU', 'KIND_CPU', 'KIND_MODEL'],
  'ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind': ['KIND_NVDLA'],
  'BatchInput.Kind': [
    'BATCH_ELEMENT_COUNT', 'BATCH_ACCUMULATED_ELEMENT_COUNT', 'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO',
    'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE', 'BATCH_ITEM_SHAPE', 'BATCH_ITEM_SHAPE_FLATTEN',
  ],
  'BatchOutput.Kind': ['BATCH_SCATTER_WITH_INPUT_SHAPE'],
  'ModelOptimizationPolicy.ModelPriority': ['PRIORITY_DEFAULT', 'PRIORITY_MAX', 'PRIORITY_MIN'],
  'ModelQueuePolicy.TimeoutAction': ['REJECT', 'DELAY'],
  'ModelSequenceBatching.Control.Kind': [
    'CONTROL_SEQUENCE_START', 'CONTROL_SEQUENCE_READY', 'CONTROL_SEQUENCE_END', 'CONTROL_SEQUENCE_CORRID',
  ],
};

const defs: MessageDef[] = [
  { name: 'ModelRateLimiter.Resource', fields: [scalar('name', 'string'), scalar('global', 'bool'), scalar('count', 'uint32')] },
  { name: 'ModelRateLimiter', fields: [messages('resources', 'ModelRateLimiter.Resource'), scalar('priority', 'uint32')] },
  {
    name: 'ModelInstanceGroup.SecondaryDevice',
    fields: [
      enumOf('kind', 'ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind'),
      scalar('device_id', 'int64', { int64AsString: true }),
    ],
  },
  {
    name: 'ModelInstanceGroup',
    fields: [
      scalar('name', 'string'), enumOf('kind', 'ModelInstanceGroup.Kind'), scalar('count', 'int32'),
      message('rate_limiter', 'ModelRateLimiter'), scalars('gpus', 'int32'),
      messages('secondary_devices', 'ModelInstanceGroup.SecondaryDevice'), scalars('profile', 'string'),
      scalar('passive', 'bool'), scalar('host_policy', 'string'),
    ],
  },
  { name: 'ModelTensorReshape', fields: [scalars('shape', 'int64')] },
  {
    name: 'ModelInput',
    fields: [
      scalar('name', 'string'), enumOf('data_type', 'DataType'), enumOf('format', 'ModelInput.Format'),
      scalars('dims', 'int64'), message('reshape', 'ModelTensorReshape'), scalar('is_shape_tensor', 'bool'),
      scalar('allow_ragged_batch', 'bool'), scalar('optional', 'bool'), scalar('is_non_linear_format_io', 'bool'),
    ],
  },
  {
    name: 'ModelOutput',
    fields: [
      scalar('name', 'string'), enumOf('data_type', 'DataType'), scalars('dims', 'int64'),
      message('reshape', 'ModelTensorReshape'), scalar('label_filename', 'string'), scalar('is_shape_tensor', 'bool'),
      scalar('is_non_linear_format_io', 'bool'),
    ],
  },
  {
    name: 'BatchInput',
    fields: [
      enumOf('kind', 'BatchInput.Kind'), scalars('target_name', 'string'), enumOf('data_type', 'DataType'),
      scalars('source_input', 'string'),
    ],
  },
  {
    name: 'BatchOutput',
    fields: [scalars('target_name', 'string'), enumOf('kind', 'BatchOutput.Kind'), scalars('source_input', 'string')],
  },
  { name: 'ModelVersionPolicy.Latest', fields: [scalar('num_versions', 'uint32')] },
  { name: 'ModelVersionPolicy.All', fields: [] },
  { name: 'ModelVersionPolicy.Specific', fields: [scalars('versions', 'int64')] },
  {
    name: 'ModelVersionPolicy',
    fields: [
      message('latest', 'ModelVersionPolicy.Latest', { oneof: 'policy_choice' }),
      message('all', 'ModelVersionPolicy.All', { oneof: 'policy_choice' }),
      message('specific', 'ModelVersionPolicy.Specific', { oneof: 'policy_choice' }),
    ],
  },
  { name: 'ModelOptimizationPolicy.Graph', fields: [scalar('level', 'int32')] },
  { name: 'ModelOptimizationPolicy.Cuda.GraphSpec.Shape', fields: [scalars('dim', 'int64', { int64AsString: true })] },
  {
    name: 'ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound',
    fields: [scalar('batch_size', 'int32'), map('input', 'string', 'ModelOptimizationPolicy.Cuda.GraphSpec.Shape')],
  },
  {
    name: 'ModelOptimizationPolicy.Cuda.GraphSpec',
    fields: [
      scalar('batch_size', 'int32'), map('input', 'string', 'ModelOptimizationPolicy.Cuda.GraphSpec.Shape'),
      message('graph_lower_bound', 'ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound'),
    ],
  },
  {
    name: 'ModelOptimizationPolicy.Cuda',
    fields: [
      scalar('graphs', 'bool'), scalar('busy_wait_events', 'bool'),
      messages('graph_spec', 'ModelOptimizationPolicy.Cuda.GraphSpec'), scalar('output_copy_stream', 'bool'),
    ],
  },
  {
    name: 'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator',
    fields: [scalar('name', 'string'), map('parameters', 'string', 'string')],
  },
  {
    name: 'ModelOptimizationPolicy.ExecutionAccelerators',
    fields: [
      messages('gpu_execution_accelerator', 'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator'),
      messages('cpu_execution_accelerator', 'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator'),
    ],
  },
  { name: 'ModelOptimizationPolicy.PinnedMemoryBuffer', fields: [scalar('enable', 'bool')] },
  {
    name: 'ModelOptimizationPolicy',
    fields: [
      message('graph', 'ModelOptimizationPolicy.Graph'), enumOf('priority', 'ModelOptimizationPolicy.ModelPriority'),
      message('cuda', 'ModelOptimizationPolicy.Cuda'),
      message('execution_accelerators', 'ModelOptimizationPolicy.ExecutionAccelerators'),
      message('input_pinned_memory', 'ModelOptimizationPolicy.PinnedMemoryBuffer'),
      message('output_pinned_memory', 'ModelOptimizationPolicy.PinnedMemoryBuffer'),
      scalar('gather_kernel_buffer_threshold', 'uint32'), scalar('eager_batching', 'bool'),
    ],
  },
  {
    name: 'ModelQueuePolicy',
    fields: [
      enumOf('timeout_action', 'ModelQueuePolicy.TimeoutAction'), scalar('default_timeout_microseconds', 'uint64'),
      scalar('allow_timeout_override', 'bool'), scalar('max_queue_size', 'uint32'),
    ],
  },
  {
    name: 'ModelDynamicBatching',
    fields: [
      scalars('preferred_batch_size', 'int32'), scalar('max_queue_delay_microseconds', 'uint64'),
      scalar('preserve_ordering', 'bool'), scalar('priority_levels', 'uint64'), scalar('default_priority_level', 'uint64'),
      message('default_queue_policy', 'ModelQueuePolicy'), map('priority_queue_policy', 'uint64', 'ModelQueuePolicy'),
    ],
  },
  {
    name: 'ModelSequenceBatching.Control',
    fields: [
      enumOf('kind', 'ModelSequenceBatching.Control.Kind'), scalars('int32_false_true', 'int32'),
      scalars('fp32_false_true', 'float'), scalars('bool_false_true', 'bool'), enumOf('data_type', 'DataType'),
    ],
  },
  {
    name: 'ModelSequenceBatching.ControlInput',
    fields: [scalar('name', 'string'), messages('control', 'ModelSequenceBatching.Control')],
  },
  {
    name: 'ModelSequenceBatching.InitialState',
    fields: [
      enumOf('data_type', 'DataType'),
      // Triton's ModelConfigToJson looks for initial_state on the wrong object, so these dims stay strings.
      scalars('dims', 'int64', { int64AsString: true }),
      scalar('zero_data', 'bool', { oneof: 'state_data' }), scalar('data_file', 'string', { oneof: 'state_data' }),
      scalar('name', 'string'),
    ],
  },
  {
    name: 'ModelSequenceBatching.State',
    fields: [
      scalar('input_name', 'string'), scalar('output_name', 'string'), enumOf('data_type', 'DataType'),
      scalars('dims', 'int64'), messages('initial_state', 'ModelSequenceBatching.InitialState'),
      scalar('use_same_buffer_for_input_output', 'bool'), scalar('use_growable_memory', 'bool'),
    ],
  },
  {
    name: 'ModelSequenceBatching.StrategyDirect',
    fields: [scalar('max_queue_delay_microseconds', 'uint64'), scalar('minimum_slot_utilization', 'float')],
  },
  {
    name: 'ModelSequenceBatching.StrategyOldest',
    fields: [
      scalar('max_candidate_sequences', 'int32'), scalars('preferred_batch_size', 'int32'),
      scalar('max_queue_delay_microseconds', 'uint64'), scalar('preserve_ordering', 'bool'),
    ],
  },
  {
    name: 'ModelSequenceBatching',
    fields: [
      message('direct', 'ModelSequenceBatching.StrategyDirect', { oneof: 'strategy_choice' }),
      message('oldest', 'ModelSequenceBatching.StrategyOldest', { oneof: 'strategy_choice' }),
      scalar('max_sequence_idle_microseconds', 'uint64'),
      messages('control_input', 'ModelSequenceBatching.ControlInput'),
      messages('state', 'ModelSequenceBatching.State'), scalar('iterative_sequence', 'bool'),
    ],
  },
  {
    name: 'ModelEnsembling.Step',
    fields: [
      scalar('model_name', 'string'), scalar('model_version', 'int64'), map('input_map', 'string', 'string'),
      map('output_map', 'string', 'string'), scalar('model_namespace', 'string'),
    ],
  },
  {
    name: 'ModelEnsembling',
    fields: [messages('step', 'ModelEnsembling.Step'), scalar('max_inflight_requests', 'uint32')],
  },
  { name: 'ModelParameter', fields: [scalar('string_value', 'string')] },
  {
    name: 'ModelWarmup.Input',
    fields: [
      enumOf('data_type', 'DataType'), scalars('dims', 'int64'),
      scalar('zero_data', 'bool', { oneof: 'input_data_type' }), scalar('random_data', 'bool', { oneof: 'input_data_type' }),
      scalar('input_data_file', 'string', { oneof: 'input_data_type' }),
    ],
  },
  {
    name: 'ModelWarmup',
    fields: [
      scalar('name', 'string'), scalar('batch_size', 'uint32'), map('inputs', 'string', 'ModelWarmup.Input'),
      scalar('count', 'uint32'),
    ],
  },
  { name: 'ModelOperations', fields: [scalars('op_library_filename', 'string')] },
  { name: 'ModelTransactionPolicy', fields: [scalar('decoupled', 'bool')] },
  { name: 'ModelRepositoryAgents.Agent', fields: [scalar('name', 'string'), map('parameters', 'string', 'string')] },
  { name: 'ModelRepositoryAgents', fields: [messages('agents', 'ModelRepositoryAgents.Agent')] },
  { name: 'ModelResponseCache', fields: [scalar('enable', 'bool')] },
  { name: 'ModelMetrics.MetricControl.MetricIdentifier', fields: [scalar('family', 'string')] },
  { name: 'ModelMetrics.MetricControl.HistogramOptions', fields: [scalars('buckets', 'double')] },
  {
    name: 'ModelMetrics.MetricControl',
    fields: [
      message('metric_identifier', 'ModelMetrics.MetricControl.MetricIdentifier'),
      message('histogram_options', 'ModelMetrics.MetricControl.HistogramOptions', { oneof: 'metric_options' }),
    ],
  },
  { name: 'ModelMetrics', fields: [messages('metric_control', 'ModelMetrics.MetricControl')] },
  {
    name: 'ModelConfig',
    fields: [
      scalar('name', 'string'), scalar('platform', 'string'), scalar('backend', 'string'), scalar('runtime', 'string'),
      message('version_policy', 'ModelVersionPolicy'), scalar('max_batch_size', 'int32'),
      messages('input', 'ModelInput'), messages('output', 'ModelOutput'), messages('batch_input', 'BatchInput'),
      messages('batch_output', 'BatchOutput'), message('optimization', 'ModelOptimizationPolicy'),
      message('dynamic_batching', 'ModelDynamicBatching', { oneof: 'scheduling_choice' }),
      message('sequence_batching', 'ModelSequenceBatching', { oneof: 'scheduling_choice' }),
      message('ensemble_scheduling', 'ModelEnsembling', { oneof: 'scheduling_choice' }),
      messages('instance_group', 'ModelInstanceGroup'), scalar('default_model_filename', 'string'),
      map('cc_model_filenames', 'string', 'string'), map('metric_tags', 'string', 'string'),
      map('parameters', 'string', 'ModelParameter'), messages('model_warmup', 'ModelWarmup'),
      message('model_operations', 'ModelOperations'), message('model_transaction_policy', 'ModelTransactionPolicy'),
      message('model_repository_agents', 'ModelRepositoryAgents'), message('response_cache', 'ModelResponseCache'),
      message('model_metrics', 'ModelMetrics'),
    ],
  },
];

export const MESSAGES: ReadonlyMap<string, MessageDef> = new Map(defs.map((d) => [d.name, d]));

const fieldIndex = new Map<string, ReadonlyMap<string, FieldDef>>(
  defs.map((d) => [d.name, new Map(d.fields.map((fd) => [fd.name, fd]))]),
);

export function messageDef(name: string): MessageDef {
  const def = MESSAGES.get(name);
  if (def === undefined) throw new Error(`schema: no message ${name}`);
  return def;
}

export function findField(messageName: string, fieldName: string): FieldDef | undefined {
  return fieldIndex.get(messageName)?.get(fieldName);
}

/** True when a map's value type is a message (else it is a scalar, always `string` in this schema). */
export function isMessageType(type: string): boolean {
  return MESSAGES.has(type);
}

/** The proto3 default of a singular scalar or enum field (what "unset" reads as). */
export function defaultValue(field: FieldDef): unknown {
  if (field.kind === 'enum') return ENUMS[field.type]?.[0];
  switch (field.type) {
    case 'string': return '';
    case 'bool': return false;
    default: return 0;
  }
}

/** `lowerCamelCase` JSON name protobuf also accepts on input (`max_batch_size` -> `maxBatchSize`). */
export function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
