/**
 * Ensemble validation with Triton's messages, in Triton's two stages:
 * - `validateEnsembleScheduling` (ValidateEnsembleSchedulingConfig): the ensemble config alone — each
 *   tensor written by one step, data flow from the inputs reaches every output, no dangling tensors.
 *   Run with the other load-time checks (validateConfig).
 * - `validateEnsembleMembers` (ValidateEnsembleConfig): against the composing models' final configs —
 *   batch sizes, every member input mapped once, names exist, dtype/shape agree, decoupled producers
 *   not mixed. Run once the composing models are loaded; tells whether the ensemble is decoupled.
 */
import { ConfigError } from './errors.js';
import type { ConfigDataType, ModelConfig } from './types.js';

/** One ensemble tensor in the config-only data-flow graph. */
interface FlowNode {
  written: boolean;
  ready: boolean;
  readonly prev: FlowNode[];
  readonly next: FlowNode[];
}

function flowNode(written: boolean): FlowNode {
  return { written, ready: false, prev: [], next: [] };
}

/**
 * Builds the tensor graph (an edge from every step input to every output of that step). Each step's
 * model_name / input_map / output_map were checked by `validateConfig` before this runs.
 */
function buildFlowGraph(config: ModelConfig): Map<string, FlowNode> {
  const name = config.name ?? '';
  const graph = new Map<string, FlowNode>();
  (config.ensemble_scheduling?.step ?? []).forEach((step, i) => {
    const outputs: FlowNode[] = [];
    for (const tensor of Object.values(step.output_map ?? {})) {
      let node = graph.get(tensor);
      if (node === undefined) {
        node = flowNode(true);
        graph.set(tensor, node);
      } else if (node.written) {
        throw new ConfigError(`ensemble tensor '${tensor}' can appear in an output map only once for ensemble '${name}' step ${i}`);
      } else {
        node.written = true;
      }
      outputs.push(node);
    }
    // A proto map cannot hold one member input twice, so Triton's "mapped to multiple ensemble tensors"
    // check of this stage can never fire for configs read from text or JSON.
    for (const tensor of Object.values(step.input_map ?? {})) {
      let node = graph.get(tensor);
      if (node === undefined) {
        node = flowNode(false);
        graph.set(tensor, node);
      }
      for (const out of outputs) {
        out.prev.push(node);
        node.next.push(out);
      }
    }
  });
  return graph;
}

/** Throws ConfigError for the first data-flow problem of an ensemble config (needs no other model). */
export function validateEnsembleScheduling(config: ModelConfig): void {
  const name = config.name ?? '';
  const graph = buildFlowGraph(config);
  const queue: FlowNode[] = [];
  for (const input of config.input ?? []) {
    const node = graph.get(input.name ?? '');
    // Triton's message really has the unbalanced quote.
    if (node === undefined) throw new ConfigError(`ensemble input '${input.name ?? ''}' for ensemble ${name}' is not used`);
    node.ready = true;
    queue.push(node);
  }
  // A tensor becomes ready once every tensor its step reads is ready; cycles never become ready, so
  // they surface as unwritten outputs or unused tensors, as in Triton.
  for (let at = 0; at < queue.length; at++) {
    for (const next of queue[at]!.next) {
      if (next.ready || !next.prev.every((p) => p.ready)) continue;
      next.ready = true;
      queue.push(next);
    }
  }
  const outputs = new Set<string>();
  for (const output of config.output ?? []) {
    const node = graph.get(output.name ?? '');
    if (node === undefined) throw new ConfigError(`ensemble output '${output.name ?? ''}' for ensemble ${name}' is not used`);
    if (!node.ready) throw new ConfigError(`output '${output.name ?? ''}' for ensemble '${name}' is not written`);
    outputs.add(output.name ?? '');
  }
  for (const [tensor, node] of graph) {
    if (outputs.has(tensor)) continue;
    if (!node.ready || node.next.length === 0) throw new ConfigError(`ensemble tensor '${tensor}' is unused in ensemble '${name}'`);
  }
}

/** An ensemble tensor as one model sees it (Triton's TensorNode). */
interface TypedNode {
  readonly model: string;
  readonly type: ConfigDataType;
  readonly dims: readonly number[];
  /** dims with the batch dim (-1) in front when that model batches. */
  readonly fullDims: readonly number[];
  decoupled: boolean;
  label: number;
  visited: boolean;
  readonly prev: TypedNode[];
  readonly next: TypedNode[];
  /** Shared by the outputs of one step, so they all get one decouple label. */
  sibling?: { label: number; visited: boolean };
}

function typedNode(model: string, batching: boolean, type: ConfigDataType, dims: readonly number[]): TypedNode {
  return {
    model, type, dims, fullDims: batching ? [-1, ...dims] : [...dims], decoupled: false, label: 0, visited: false, prev: [], next: [],
  };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i] || d === -1 || b[i] === -1);
}

const dimsText = (dims: readonly number[]): string => `[${dims.join(',')}]`;

function checkConsistent(lhs: TypedNode, rhs: TypedNode, prefix: string): void {
  if (lhs.type !== rhs.type) {
    throw new ConfigError(
      `${prefix}inconsistent data type: ${lhs.type} is inferred from model ${lhs.model} while ${rhs.type} is inferred from model ${rhs.model}`,
    );
  }
  // A batching member's [d...] matches a non-batching member's [-1, d...]: compare full shapes too.
  if (!sameDims(lhs.dims, rhs.dims) && !sameDims(lhs.fullDims, rhs.fullDims)) {
    throw new ConfigError(
      `${prefix}inconsistent shape: ${dimsText(lhs.fullDims)} is inferred from model ${lhs.model} while ` +
        `${dimsText(rhs.fullDims)} is inferred from model ${rhs.model}`,
    );
  }
}

/**
 * Checks an ensemble (already through `validateEnsembleScheduling`) against its members' final configs.
 * `member(name)` returns a loaded member's config. Returns true when a decoupled member makes the
 * ensemble decoupled.
 */
export function validateEnsembleMembers(config: ModelConfig, member: (name: string) => ModelConfig): boolean {
  const name = config.name ?? '';
  const batching = (config.max_batch_size ?? 0) > 0;
  const tensors = new Map<string, TypedNode>();
  for (const input of config.input ?? []) {
    const dims = input.reshape !== undefined ? input.reshape.shape ?? [] : input.dims ?? [];
    tensors.set(input.name ?? '', typedNode(name, batching, input.data_type ?? 'TYPE_INVALID', dims));
  }
  const sink: TypedNode = typedNode(name, false, 'TYPE_INVALID', []);
  for (const output of config.output ?? []) {
    const dims = output.reshape !== undefined ? output.reshape.shape ?? [] : output.dims ?? [];
    const node = tensors.get(output.name ?? '') ?? typedNode(name, batching, output.data_type ?? 'TYPE_INVALID', dims);
    tensors.set(output.name ?? '', node);
    sink.prev.push(node);
    node.next.push(sink);
  }
  for (const step of config.ensemble_scheduling?.step ?? []) {
    const stepName = step.model_name ?? '';
    const m = member(stepName);
    const maxBatch = m.max_batch_size ?? 0;
    if (maxBatch !== 0 && maxBatch < (config.max_batch_size ?? 0)) {
      throw new ConfigError(
        `ensemble ${name} allows maximum batch size ${config.max_batch_size ?? 0}, but it contains model ${stepName} ` +
          `which only allows maximum batch size to be ${maxBatch}`,
      );
    }
    checkStepMapping(name, step, m, tensors);
  }
  return labelDecoupled(name, config, tensors);
}

function checkStepMapping(
  ensemble: string,
  step: NonNullable<NonNullable<ModelConfig['ensemble_scheduling']>['step']>[number],
  m: ModelConfig,
  tensors: Map<string, TypedNode>,
): void {
  const stepName = step.model_name ?? '';
  const batching = (m.max_batch_size ?? 0) > 0;
  const inputMap = Object.entries(step.input_map ?? {});
  const outputMap = Object.entries(step.output_map ?? {});
  const inputs = new Set((m.input ?? []).map((i) => i.name ?? ''));
  for (const [memberInput, tensor] of inputMap) {
    if (!inputs.has(memberInput)) {
      throw new ConfigError(
        `in ensemble ${ensemble}, ensemble tensor ${tensor} is mapping to non-existing input ${memberInput} in model ${stepName}`,
      );
    }
  }
  for (const input of m.input ?? []) {
    const mapped = inputMap.filter(([memberInput]) => memberInput === input.name);
    for (const [, tensor] of mapped) {
      const own = typedNode(stepName, batching, input.data_type ?? 'TYPE_INVALID', input.dims ?? []);
      const known = tensors.get(tensor);
      if (known !== undefined) checkConsistent(known, own, `in ensemble ${ensemble}, ensemble tensor ${tensor}: `);
      else tensors.set(tensor, own);
    }
    if (mapped.length === 0 && input.optional !== true) {
      throw new ConfigError(`in ensemble ${ensemble}, input ${input.name ?? ''} in model ${stepName} is not mapped to any ensemble tensors`);
    }
  }
  const outputs = new Set((m.output ?? []).map((o) => o.name ?? ''));
  for (const [memberOutput, tensor] of outputMap) {
    if (!outputs.has(memberOutput)) {
      throw new ConfigError(
        `in ensemble ${ensemble}, ensemble tensor ${tensor} is mapped from non-existing output ${memberOutput} in model ${stepName}`,
      );
    }
  }
  const sibling = { label: 0, visited: false };
  for (const [memberOutput, tensor] of outputMap) {
    const output = (m.output ?? []).find((o) => o.name === memberOutput)!;
    const own = typedNode(stepName, batching, output.data_type ?? 'TYPE_INVALID', output.dims ?? []);
    let node = tensors.get(tensor);
    if (node !== undefined) checkConsistent(node, own, `in ensemble ${ensemble}, ensemble tensor ${tensor}: `);
    else {
      node = own;
      tensors.set(tensor, node);
    }
    node.sibling = sibling;
  }
  const decoupled = m.model_transaction_policy?.decoupled === true;
  for (const [, tensor] of outputMap) {
    const node = tensors.get(tensor)!;
    node.decoupled = decoupled;
    for (const [, inputTensor] of inputMap) {
      const prev = tensors.get(inputTensor)!;
      node.prev.push(prev);
      prev.next.push(node);
    }
  }
}

/**
 * Walks the data flow from the inputs giving every tensor the label of the decoupled step it descends
 * from (0 = none); a step reading two labels mixes responses of different decoupled models.
 */
function labelDecoupled(ensemble: string, config: ModelConfig, tensors: Map<string, TypedNode>): boolean {
  let label = 0;
  const queue: TypedNode[] = [];
  for (const input of config.input ?? []) {
    const node = tensors.get(input.name ?? '')!;
    node.visited = true;
    queue.push(node);
  }
  for (let at = 0; at < queue.length; at++) {
    for (const next of queue[at]!.next) {
      if (next.visited || !next.prev.every((p) => p.visited)) continue;
      const prevLabel = next.prev[0]?.label ?? 0;
      if (next.prev.some((p) => p.label !== prevLabel)) {
        throw new ConfigError(
          `in ensemble ${ensemble}, step of model '${next.model}' receives inputs originated from different decoupled models`,
        );
      }
      if (next.sibling !== undefined) {
        if (next.sibling.visited) next.label = next.sibling.label;
        else {
          next.label = next.decoupled ? ++label : prevLabel;
          next.sibling.label = next.label;
          next.sibling.visited = true;
        }
      } else {
        next.label = next.decoupled ? ++label : prevLabel;
      }
      next.visited = true;
      queue.push(next);
    }
  }
  return label !== 0;
}
