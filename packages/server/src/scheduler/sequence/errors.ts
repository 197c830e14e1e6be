/**
 * The sequence batcher's request errors (spec §4.2), worded as Triton core's SequenceBatchScheduler /
 * Sequencer word them; clients and Triton's own tests compare this text.
 */
import { ServerError, withRequestId } from '../../core/index.js';
import type { CorrelationId } from './correlation.js';

export function noCorrelationId(model: string): ServerError {
  return ServerError.invalidArg(`inference request to model '${model}' must specify a non-zero or non-empty correlation ID`);
}

/** Triton prints the id itself where the spec writes "ID" (`inference request for sequence 543 to model ...`). */
export function missingStart(model: string, id: CorrelationId): ServerError {
  return ServerError.invalidArg(
    `inference request for sequence ${String(id)} to model '${model}' must specify the START flag on the first request of the sequence`,
  );
}

export function batchSizeNotOne(model: string): ServerError {
  return ServerError.invalidArg(`inference request to model '${model}' must specify batch-size 1 due to requirements of sequence batcher`);
}

/**
 * A string id for a numeric CORRID control or a numeric id for a TYPE_STRING one. Triton's request
 * normalization reports it like any input dtype mismatch, naming the control tensor and the id's type
 * (UINT64 for numbers, BYTES for strings), prefixed with the request id when there is one.
 */
export function corridTypeMismatch(requestId: string, tensor: string, got: string, model: string, want: string): ServerError {
  return ServerError.invalidArg(
    withRequestId(requestId, `sequence batching control '${tensor}' data-type is '${got}', but model '${model}' expects '${want}'`),
  );
}

/** A backlogged sequence whose request `timeout` passed before it got a slot (Triton's reaper). */
export function backlogTimeout(): ServerError {
  return ServerError.unavailable('timeout of the corresponding sequence has been expired');
}

export function stopping(): ServerError {
  return ServerError.of('MODEL_UNLOADING');
}
