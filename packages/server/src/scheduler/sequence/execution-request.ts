/**
 * The request a backend executes for one client request of a sequence: the client's inputs plus the
 * control and state inputs, and the client's outputs plus the state outputs. Its responses come back
 * here first: state outputs are kept for the sequence's next request (never sent to the client), the
 * rest goes to the client's request together with the compute timestamps, so statistics stay per request.
 */
import { InferenceRequest, type InferenceResponse, type RequestedOutput, type Tensor } from '../../core/index.js';

export interface ExecutionHooks {
  /** Inputs added to the client's (controls, state). */
  readonly inputs: readonly Tensor[];
  /** State output names the backend must produce. */
  readonly stateOutputs: ReadonlySet<string>;
  /** Receives the state outputs of each successful response. */
  onState(outputs: readonly Tensor[]): void;
}

function copyComputeTimes(from: InferenceRequest, to: InferenceRequest): void {
  const t = to.timestamps;
  const f = from.timestamps;
  t.computeStart = f.computeStart;
  t.computeInputEnd = f.computeInputEnd;
  t.computeOutputStart = f.computeOutputStart;
  t.computeEnd = f.computeEnd;
}

export function executionRequest(client: InferenceRequest, hooks: ExecutionHooks): InferenceRequest {
  const requestedOutputs: RequestedOutput[] = [...client.requestedOutputs];
  for (const name of hooks.stateOutputs) {
    if (!requestedOutputs.some((o) => o.name === name)) requestedOutputs.push({ name });
  }
  const execution: InferenceRequest = new InferenceRequest({
    init: {
      modelName: client.modelName,
      id: client.id,
      inputs: hooks.inputs.length === 0 ? client.inputs : [...client.inputs, ...hooks.inputs],
      parameters: client.parameters,
      priority: client.priority,
      timeoutUs: client.timeoutUs,
      correlationId: client.correlationId,
      flags: client.flags,
      ...(client.signal === undefined ? {} : { signal: client.signal }),
    },
    modelVersion: client.modelVersion,
    requestedOutputs,
    batchSize: client.batchSize,
    received: client.timestamps.received,
    sink: (response: InferenceResponse) => {
      copyComputeTimes(execution, client);
      if (response.error !== undefined) {
        client.respondError(response.error);
        return;
      }
      const state: Tensor[] = [];
      const outputs: Tensor[] = [];
      for (const t of response.outputs) (hooks.stateOutputs.has(t.name) ? state : outputs).push(t);
      if (state.length > 0) hooks.onState(state);
      client.respond({ outputs, ...(response.parameters === undefined ? {} : { parameters: response.parameters }) }, response.final);
    },
  });
  execution.timestamps.queueStart = client.timestamps.queueStart;
  return execution;
}
