/**
 * An ensemble's steps as the run executes them: which member model, which ensemble tensors feed which
 * member inputs, where member outputs go, and which steps read each tensor. Built once per loaded
 * ensemble version from its (validated) config.
 */
import type { ModelConfig } from '../../config/index.js';

export interface TensorLink {
  /** The member model's input or output name. */
  readonly member: string;
  /** The ensemble tensor it is mapped to. */
  readonly tensor: string;
}

export interface PlanStep {
  readonly index: number;
  readonly modelName: string;
  /** Protocol version string; undefined = latest READY version (config `model_version: -1`). */
  readonly modelVersion: string | undefined;
  readonly inputs: readonly TensorLink[];
  readonly outputs: readonly TensorLink[];
  /** A decoupled member: each of its responses starts its own downstream data flow. */
  readonly decoupled: boolean;
  /** The member batches (max_batch_size > 0): its requests' tensors carry a batch dim. */
  readonly batching: boolean;
  /** The member's configured input dims (no batch dim), by member input name. */
  readonly inputDims: ReadonlyMap<string, readonly number[]>;
}

export interface EnsemblePlan {
  readonly name: string;
  readonly steps: readonly PlanStep[];
  /** Ensemble tensor -> the steps that read it. */
  readonly consumers: ReadonlyMap<string, readonly PlanStep[]>;
  /** Ensemble input names (the config's `input`). */
  readonly inputs: readonly string[];
  /** The ensemble is decoupled (a decoupled member upstream): answers with 0..N responses. */
  readonly decoupled: boolean;
  /** `max_inflight_requests`: requests of one step in flight at once per ensemble request; 0 = no limit. */
  readonly maxInflight: number;
  /** The ensemble batches (max_batch_size > 0). */
  readonly batching: boolean;
  /** The ensemble's output dims (reshape when set, as Triton), by output name. */
  readonly outputDims: ReadonlyMap<string, readonly number[]>;
}

/** `members[i]` is the final config of step i's member model (as loaded when the ensemble loads). */
export function buildPlan(config: ModelConfig, members: readonly ModelConfig[]): EnsemblePlan {
  const steps: PlanStep[] = (config.ensemble_scheduling?.step ?? []).map((s, index) => {
    const member = members[index];
    return {
      index,
      modelName: s.model_name ?? '',
      modelVersion: s.model_version === undefined || s.model_version < 0 ? undefined : String(s.model_version),
      inputs: Object.entries(s.input_map ?? {}).map(([m, tensor]) => ({ member: m, tensor })),
      outputs: Object.entries(s.output_map ?? {}).map(([m, tensor]) => ({ member: m, tensor })),
      decoupled: member?.model_transaction_policy?.decoupled === true,
      batching: (member?.max_batch_size ?? 0) > 0,
      inputDims: new Map((member?.input ?? []).map((i) => [i.name ?? '', i.dims ?? []])),
    };
  });
  const consumers = new Map<string, PlanStep[]>();
  for (const step of steps) {
    for (const link of step.inputs) {
      const list = consumers.get(link.tensor) ?? [];
      if (!list.includes(step)) list.push(step);
      consumers.set(link.tensor, list);
    }
  }
  return {
    name: config.name ?? '',
    steps,
    consumers,
    inputs: (config.input ?? []).map((i) => i.name ?? ''),
    decoupled: config.model_transaction_policy?.decoupled === true,
    maxInflight: config.ensemble_scheduling?.max_inflight_requests ?? 0,
    batching: (config.max_batch_size ?? 0) > 0,
    outputDims: new Map((config.output ?? []).map((o) => [o.name ?? '', o.reshape !== undefined ? o.reshape.shape ?? [] : o.dims ?? []])),
  };
}
