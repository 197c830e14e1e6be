/** One live sequence as the batcher tracks it: its queued requests, its slot and its implicit state. */
import type { InferenceRequest, Tensor } from '../../core/index.js';
import type { CorrelationId } from './correlation.js';

export interface Queued {
  readonly request: InferenceRequest;
  /** Clock ms at enqueue: delay windows and oldest-first order count from here. */
  readonly at: number;
}

/** A batch slot of one instance. Direct: max(1, max_batch_size) per instance; oldest: max_candidate_sequences. */
export interface Slot {
  readonly instance: number;
  readonly index: number;
  sequence: Sequence | undefined;
}

export class Sequence {
  readonly id: CorrelationId;
  readonly queue: Queued[] = [];
  slot: Slot | undefined;
  /** State inputs for the next request, by input name; undefined = the initial state. */
  state: Map<string, Tensor> | undefined;
  /** Clock ms of the last request (or of getting a slot): the idle timeout counts from here. */
  lastSeen: number;
  /**
   * No further request joins this sequence (END enqueued, idle timeout, cancelled, stopping): its slot is
   * freed as soon as its queue is empty.
   */
  closing = false;
  /** Clock ms by which a backlogged sequence must get a slot (its requests' `timeout`); Infinity = none. */
  expiresAt = Infinity;

  constructor(id: CorrelationId, now: number) {
    this.id = id;
    this.lastSeen = now;
  }
}
