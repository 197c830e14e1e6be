/**
 * The response sender of one repeat request: after DELAY[i] ms it sends OUT = IN[i] (and IDX = i),
 * one response per element, then a flag-only final response. It runs on timers after `execute` has
 * returned, the way a Python decoupled model uses its sender from another thread. An abort of the
 * request's signal (client gone) stops it early with a final CANCELLED error.
 */
import { ServerError, type InferenceRequest, type Tensor } from '../../core/index.js';
import type { RepeatJob } from './read-request.js';

function scalar(name: string, datatype: 'INT32' | 'UINT32', value: number): Tensor {
  const data = new Uint8Array(4);
  const v = new DataView(data.buffer);
  if (datatype === 'INT32') v.setInt32(0, value, true);
  else v.setUint32(0, value, true);
  return { name, datatype, shape: [1], data };
}

/** Starts sending; `done` runs once, after the final response. */
export function startSender(request: InferenceRequest, job: RepeatJob, done: () => void): void {
  const wanted = new Set(request.requestedOutputs.map((o) => o.name));
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;

  const finish = (error?: ServerError): void => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
    if (error !== undefined) {
      request.respondError(error);
    } else {
      request.stamp('computeOutputStart');
      // Flag-only final, as Triton's example sends it with TRITONBACKEND_ResponseFactorySendFlags.
      request.respond({}, true);
    }
    done();
  };
  const onAbort = (): void => finish(ServerError.cancelled());

  const sendNext = (): void => {
    timer = undefined;
    if (request.isCancelled) {
      finish(ServerError.cancelled());
      return;
    }
    const outputs: Tensor[] = [];
    if (wanted.has('OUT')) outputs.push(scalar('OUT', 'INT32', job.values[index]!));
    if (wanted.has('IDX')) outputs.push(scalar('IDX', 'UINT32', index));
    request.respond({ outputs }, false);
    index += 1;
    schedule();
  };

  const schedule = (): void => {
    if (index >= job.values.length) finish();
    else timer = setTimeout(sendNext, job.delays[index]!);
  };

  // A signal that already fired never calls a listener added now.
  if (request.isCancelled) {
    finish(ServerError.cancelled());
    return;
  }
  request.signal?.addEventListener('abort', onAbort, { once: true });
  schedule();
}
