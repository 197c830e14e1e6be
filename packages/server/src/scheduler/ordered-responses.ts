/**
 * `preserve_ordering` (Triton's DelegateResponse / FinalizeResponses): responses leave in the order the
 * batcher sent the requests to execution, even when a later batch on another instance finishes first.
 *
 * Each request handed to the pool is replaced by a stand-in with the same fields whose responses land
 * in an ordering slot instead of the client's sink. The oldest unfinished slot streams straight through
 * (so a decoupled request's responses are not held behind its own final one); later slots are held
 * until every earlier request has sent its final response, then flushed in order.
 */
import { InferenceRequest, type InferenceRequestInit, type InferenceResponse } from '../core/index.js';

interface Slot {
  readonly target: InferenceRequest;
  readonly standIn: InferenceRequest;
  readonly held: InferenceResponse[];
}

export class ResponseOrder {
  /** Slots in dispatch order; `#head` indexes the oldest unfinished one. */
  #slots: Slot[] = [];
  #head = 0;
  #flushing = false;

  /** Unfinished requests (for tests and drain checks). */
  get pending(): number {
    return this.#slots.length - this.#head;
  }

  /** Returns the request to execute in place of `request`; call in dispatch order. */
  wrap(request: InferenceRequest): InferenceRequest {
    let slot: Slot | undefined;
    const standIn = new InferenceRequest({
      init: initOf(request),
      modelVersion: request.modelVersion,
      requestedOutputs: request.requestedOutputs,
      batchSize: request.batchSize,
      received: request.timestamps.received,
      sink: (response) => this.#arrive(slot!, response),
    });
    standIn.timestamps.queueStart = request.timestamps.queueStart;
    slot = { target: request, standIn, held: [] };
    this.#slots.push(slot);
    return standIn;
  }

  #arrive(slot: Slot, response: InferenceResponse): void {
    slot.held.push(response);
    this.#flush();
  }

  /**
   * Sends what the oldest unfinished slots hold, moving on at each final response. A response that
   * arrives while this runs (a client callback starting new work) only queues: the running loop sends it.
   */
  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (;;) {
        const head = this.#slots[this.#head];
        const response = head?.held.shift();
        if (head === undefined || response === undefined) break;
        forward(head, response);
        if (response.final) this.#head += 1;
      }
    } finally {
      this.#flushing = false;
    }
    // Drop finished slots now and then instead of shifting the array on every response.
    if (this.#head === this.#slots.length) {
      this.#slots = [];
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#slots.length) {
      this.#slots = this.#slots.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Delivers a held or passing response through the real request (which owns the client's sink). */
function forward(slot: Slot, response: InferenceResponse): void {
  const { target, standIn } = slot;
  if (response.final) {
    // Stats are derived from the real request's stamps: give it the execution's, not the hold time.
    const t = standIn.timestamps;
    target.timestamps.computeStart = t.computeStart;
    target.timestamps.computeInputEnd = t.computeInputEnd;
    target.timestamps.computeOutputStart = t.computeOutputStart;
    target.timestamps.computeEnd = t.computeEnd;
  }
  if (response.error !== undefined) {
    target.respondError(response.error);
    return;
  }
  target.respond(
    response.parameters === undefined ? { outputs: response.outputs } : { outputs: response.outputs, parameters: response.parameters },
    response.final,
  );
}

/** The fields a stand-in shares with the original (same inputs, parameters and cancel signal). */
function initOf(r: InferenceRequest): InferenceRequestInit {
  return {
    modelName: r.modelName,
    id: r.id,
    inputs: r.inputs,
    parameters: r.parameters,
    priority: r.priority,
    timeoutUs: r.timeoutUs,
    correlationId: r.correlationId,
    flags: r.flags,
    ...(r.signal === undefined ? {} : { signal: r.signal }),
  };
}
