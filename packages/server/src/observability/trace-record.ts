/**
 * A finished trace as plain data, and its Triton trace-file rendering (Triton's trace doc, "JSON Trace
 * Output"): one `{"id","model_name","model_version","request_id","parent_id"}` object, then one
 * `{"id","timestamps":[{"name","ns"}]}` object per timestamp in request order, then (TENSORS level)
 * one `{"id","activity","tensor":{"name","data","shape","dtype"}}` object per input and output.
 */
import { elementCount, tensorToJsonValues } from '@inferd/protocol';
import type { Tensor } from '../core/index.js';
import type { InferenceRequest } from '../core/request.js';
import type { InferenceResponse } from '../core/response.js';
import type { TraceOrigin } from '../core/observability-hooks.js';

export interface TensorActivity {
  readonly activity: 'TENSOR_QUEUE_INPUT' | 'TENSOR_BACKEND_OUTPUT';
  readonly tensor: { name: string; data: string; shape: string; dtype: string };
}

export interface CompletedTrace {
  readonly id: number;
  readonly parentId: number;
  readonly modelName: string;
  readonly modelVersion: number;
  readonly requestId: string;
  readonly protocol: 'HTTP' | 'GRPC' | undefined;
  readonly traceparent: string | undefined;
  /** [name, monotonic ns] in request order; points a request never reached are left out. */
  readonly timestamps: readonly (readonly [string, number])[];
  readonly tensors: readonly TensorActivity[];
}

function tensorActivity(activity: TensorActivity['activity'], t: Tensor): TensorActivity {
  let data: string;
  try {
    data = tensorToJsonValues(t.name, t.datatype, t.data, elementCount(t.shape)).map(String).join(',');
  } catch {
    data = '';
  }
  return { activity, tensor: { name: t.name, data, shape: t.shape.join(','), dtype: t.datatype } };
}

/** Collects the request's stamps (core/request.ts) plus the frontend's receive and send points. */
export function completeTrace(
  id: number, request: InferenceRequest, response: InferenceResponse, origin: TraceOrigin | undefined,
  ends: { requestEnd: number; sendStart: number; sendEnd: number }, timestamps: boolean, tensors: boolean,
): CompletedTrace {
  const stamps: [string, number][] = [];
  if (timestamps) {
    const protocol = origin?.protocol;
    const recv = protocol === 'GRPC' ? 'GRPC_WAITREAD' : 'HTTP_RECV';
    const add = (name: string, ns: number | undefined): void => {
      if (ns !== undefined && ns > 0) stamps.push([name, ns]);
    };
    add(`${recv}_START`, origin?.recvStartNs);
    add(`${recv}_END`, origin?.recvEndNs);
    const t = request.timestamps;
    add('REQUEST_START', t.received);
    add('QUEUE_START', t.queueStart);
    add('COMPUTE_START', t.computeStart);
    add('COMPUTE_INPUT_END', t.computeInputEnd);
    add('COMPUTE_OUTPUT_START', t.computeOutputStart);
    add('COMPUTE_END', t.computeEnd);
    add('REQUEST_END', ends.requestEnd);
    if (protocol !== undefined) {
      add(`${protocol}_SEND_START`, ends.sendStart);
      add(`${protocol}_SEND_END`, ends.sendEnd);
    }
  }
  const activities: TensorActivity[] = [];
  if (tensors) {
    for (const t of request.inputs) activities.push(tensorActivity('TENSOR_QUEUE_INPUT', t));
    for (const t of response.outputs) activities.push(tensorActivity('TENSOR_BACKEND_OUTPUT', t));
  }
  return {
    id, parentId: 0, modelName: request.modelName, modelVersion: request.modelVersion, requestId: request.id,
    protocol: origin?.protocol, traceparent: origin?.traceparent, timestamps: stamps, tensors: activities,
  };
}

/** The trace's objects as JSON texts, ready to join into the file's top-level array. */
export function tritonTraceObjects(t: CompletedTrace): string[] {
  const out = [
    JSON.stringify({ id: t.id, model_name: t.modelName, model_version: t.modelVersion, request_id: t.requestId, parent_id: t.parentId }),
  ];
  for (const [name, ns] of t.timestamps) out.push(`{"id":${t.id},"timestamps":[{"name":"${name}","ns":${ns}}]}`);
  for (const a of t.tensors) out.push(JSON.stringify({ id: t.id, activity: a.activity, tensor: a.tensor }));
  return out;
}
