/**
 * TypeScript mirror of Triton's model_config.proto (package `inference`), field names in their proto
 * spelling. Every field is optional, as in proto3 text/JSON input; `normalize` fills defaults. Enums are
 * their identifier strings. 64-bit integers are JS numbers (configs never need more than 2^53).
 */

export const DATA_TYPE_NAMES = [
  'TYPE_INVALID', 'TYPE_BOOL', 'TYPE_UINT8', 'TYPE_UINT16', 'TYPE_UINT32', 'TYPE_UINT64', 'TYPE_INT8', 'TYPE_INT16',
  'TYPE_INT32', 'TYPE_INT64', 'TYPE_FP16', 'TYPE_FP32', 'TYPE_FP64', 'TYPE_STRING', 'TYPE_BF16',
] as const;
export type ConfigDataType = (typeof DATA_TYPE_NAMES)[number];

export interface ModelTensorReshape { shape?: number[] }

export const INPUT_FORMATS = ['FORMAT_NONE', 'FORMAT_NHWC', 'FORMAT_NCHW'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface ModelInput {
  name?: string;
  data_type?: ConfigDataType;
  format?: InputFormat;
  dims?: number[];
  reshape?: ModelTensorReshape;
  is_shape_tensor?: boolean;
  allow_ragged_batch?: boolean;
  optional?: boolean;
  is_non_linear_format_io?: boolean;
}

export interface ModelOutput {
  name?: string;
  data_type?: ConfigDataType;
  dims?: number[];
  reshape?: ModelTensorReshape;
  label_filename?: string;
  is_shape_tensor?: boolean;
  is_non_linear_format_io?: boolean;
}

export const BATCH_INPUT_KINDS = [
  'BATCH_ELEMENT_COUNT', 'BATCH_ACCUMULATED_ELEMENT_COUNT', 'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO',
  'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE', 'BATCH_ITEM_SHAPE', 'BATCH_ITEM_SHAPE_FLATTEN',
] as const;
export interface BatchInput {
  kind?: (typeof BATCH_INPUT_KINDS)[number];
  target_name?: string[];
  data_type?: ConfigDataType;
  source_input?: string[];
}

export const BATCH_OUTPUT_KINDS = ['BATCH_SCATTER_WITH_INPUT_SHAPE'] as const;
export interface BatchOutput {
  target_name?: string[];
  kind?: (typeof BATCH_OUTPUT_KINDS)[number];
  source_input?: string[];
}

export interface ModelVersionPolicy {
  latest?: { num_versions?: number };
  all?: Record<string, never>;
  specific?: { versions?: number[] };
}

export const INSTANCE_KINDS = ['KIND_AUTO', 'KIND_GPU', 'KIND_CPU', 'KIND_MODEL'] as const;
export type InstanceKind = (typeof INSTANCE_KINDS)[number];

export interface ModelRateLimiter {
  resources?: { name?: string; global?: boolean; count?: number }[];
  priority?: number;
}

export interface ModelInstanceGroup {
  name?: string;
  kind?: InstanceKind;
  count?: number;
  rate_limiter?: ModelRateLimiter;
  gpus?: number[];
  secondary_devices?: { kind?: 'KIND_NVDLA'; device_id?: number }[];
  profile?: string[];
  passive?: boolean;
  host_policy?: string;
}

export const TIMEOUT_ACTIONS = ['REJECT', 'DELAY'] as const;
export interface ModelQueuePolicy {
  timeout_action?: (typeof TIMEOUT_ACTIONS)[number];
  default_timeout_microseconds?: number;
  allow_timeout_override?: boolean;
  max_queue_size?: number;
}

export interface ModelDynamicBatching {
  preferred_batch_size?: number[];
  max_queue_delay_microseconds?: number;
  preserve_ordering?: boolean;
  priority_levels?: number;
  default_priority_level?: number;
  default_queue_policy?: ModelQueuePolicy;
  /** Keys are uint64 priority levels, kept as decimal strings (as proto JSON does). */
  priority_queue_policy?: Record<string, ModelQueuePolicy>;
}

export const CONTROL_KINDS = [
  'CONTROL_SEQUENCE_START', 'CONTROL_SEQUENCE_READY', 'CONTROL_SEQUENCE_END', 'CONTROL_SEQUENCE_CORRID',
] as const;
export interface SequenceControl {
  kind?: (typeof CONTROL_KINDS)[number];
  int32_false_true?: number[];
  fp32_false_true?: number[];
  bool_false_true?: boolean[];
  data_type?: ConfigDataType;
}
export interface SequenceInitialState {
  data_type?: ConfigDataType;
  dims?: number[];
  zero_data?: boolean;
  data_file?: string;
  name?: string;
}
export interface SequenceState {
  input_name?: string;
  output_name?: string;
  data_type?: ConfigDataType;
  dims?: number[];
  initial_state?: SequenceInitialState[];
  use_same_buffer_for_input_output?: boolean;
  use_growable_memory?: boolean;
}
export interface ModelSequenceBatching {
  direct?: { max_queue_delay_microseconds?: number; minimum_slot_utilization?: number };
  oldest?: {
    max_candidate_sequences?: number;
    preferred_batch_size?: number[];
    max_queue_delay_microseconds?: number;
    preserve_ordering?: boolean;
  };
  max_sequence_idle_microseconds?: number;
  control_input?: { name?: string; control?: SequenceControl[] }[];
  state?: SequenceState[];
  iterative_sequence?: boolean;
}

export interface EnsembleStep {
  model_name?: string;
  model_version?: number;
  input_map?: Record<string, string>;
  output_map?: Record<string, string>;
  model_namespace?: string;
}
export interface ModelEnsembling {
  step?: EnsembleStep[];
  /** Field 2 of ModelEnsembling in model_config.proto (2024+); 0 = unlimited. */
  max_inflight_requests?: number;
}

export interface ModelParameter { string_value?: string }

export interface ModelWarmupInput {
  data_type?: ConfigDataType;
  dims?: number[];
  zero_data?: boolean;
  random_data?: boolean;
  input_data_file?: string;
}
export interface ModelWarmup {
  name?: string;
  batch_size?: number;
  inputs?: Record<string, ModelWarmupInput>;
  count?: number;
}

export const MODEL_PRIORITIES = ['PRIORITY_DEFAULT', 'PRIORITY_MAX', 'PRIORITY_MIN'] as const;

export interface ExecutionAccelerator { name?: string; parameters?: Record<string, string> }

export interface ModelOptimizationPolicy {
  graph?: { level?: number };
  priority?: (typeof MODEL_PRIORITIES)[number];
  cuda?: {
    graphs?: boolean;
    busy_wait_events?: boolean;
    graph_spec?: CudaGraphSpec[];
    output_copy_stream?: boolean;
  };
  execution_accelerators?: {
    gpu_execution_accelerator?: ExecutionAccelerator[];
    cpu_execution_accelerator?: ExecutionAccelerator[];
  };
  input_pinned_memory?: { enable?: boolean };
  output_pinned_memory?: { enable?: boolean };
  gather_kernel_buffer_threshold?: number;
  eager_batching?: boolean;
}

export interface CudaGraphShape { dim?: number[] }
export interface CudaGraphSpec {
  batch_size?: number;
  input?: Record<string, CudaGraphShape>;
  graph_lower_bound?: { batch_size?: number; input?: Record<string, CudaGraphShape> };
}

export interface ModelMetrics {
  metric_control?: {
    metric_identifier?: { family?: string };
    histogram_options?: { buckets?: number[] };
  }[];
}

export interface ModelConfig {
  name?: string;
  platform?: string;
  backend?: string;
  runtime?: string;
  version_policy?: ModelVersionPolicy;
  max_batch_size?: number;
  input?: ModelInput[];
  output?: ModelOutput[];
  batch_input?: BatchInput[];
  batch_output?: BatchOutput[];
  optimization?: ModelOptimizationPolicy;
  dynamic_batching?: ModelDynamicBatching;
  sequence_batching?: ModelSequenceBatching;
  ensemble_scheduling?: ModelEnsembling;
  instance_group?: ModelInstanceGroup[];
  default_model_filename?: string;
  cc_model_filenames?: Record<string, string>;
  metric_tags?: Record<string, string>;
  parameters?: Record<string, ModelParameter>;
  model_warmup?: ModelWarmup[];
  model_operations?: { op_library_filename?: string[] };
  model_transaction_policy?: { decoupled?: boolean };
  model_repository_agents?: { agents?: { name?: string; parameters?: Record<string, string> }[] };
  response_cache?: { enable?: boolean };
  model_metrics?: ModelMetrics;
}
