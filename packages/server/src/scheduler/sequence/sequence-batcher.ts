/**
 * Triton's sequence batcher (config `sequence_batching`, spec §12): every request of a correlation id
 * runs on the instance whose slot the sequence got at START, in order, one request per sequence per
 * execution. A sequence keeps its slot until its END request is taken or it stays idle for
 * `max_sequence_idle_microseconds`; sequences without a free slot wait in a FIFO backlog. Control inputs
 * (START/END/READY/CORRID) and implicit state are injected per request (see execution-request.ts).
 *
 * Simplification: an execution carries only the slots that have a request ready; Triton fills the other
 * slots of a batching model with not-ready dummies. Control tensors are per request, so each row of
 * the batch still carries its own START/END/READY/CORRID values.
 */
import type { ModelConfig, ModelSequenceBatching } from '../../config/types.js';
import {
  REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START, ServerError,
  type InferenceRequest, type ModelSpec, type Scheduler, type Tensor,
} from '../../core/index.js';
import type { SchedulerClock, TimerHandle } from '../clock.js';
import type { InstancePool } from '../instance-pool.js';
import { batchPolicy, type BatchPolicy } from './batch-policy.js';
import { SequenceControls } from './controls.js';
import { correlationIdType, correlationKey, corridAccepts, hasCorrelationId } from './correlation.js';
import * as errors from './errors.js';
import { executionRequest } from './execution-request.js';
import { loadImplicitStates, type ImplicitState } from './initial-state.js';
import { sameShapes } from '../same-shapes.js';
import { Sequence, type Slot } from './sequence.js';
import { Pump } from '../pump.js';
import { AbortWatch } from '../abort-watch.js';

export interface SequenceBatcherContext {
  readonly pool: InstancePool;
  readonly spec: ModelSpec;
  readonly config: ModelConfig;
  readonly modelDir: string;
  readonly clock: SchedulerClock;
}

/** Normalized default of max_sequence_idle_microseconds (spec §6.2), in case the config skipped normalize. */
const DEFAULT_IDLE_US = 1_000_000;

export class SequenceBatcher implements Scheduler {
  readonly #pool: InstancePool;
  readonly #pumper = new Pump(() => this.#pumpOnce());
  readonly #clock: SchedulerClock;
  readonly #model: string;
  readonly #controls: SequenceControls;
  readonly #states: readonly ImplicitState[];
  readonly #stateOutputs: ReadonlySet<string>;
  readonly #stateInputOf: ReadonlyMap<string, string>;
  readonly #policy: BatchPolicy;
  readonly #idleMs: number;
  readonly #ragged: ReadonlySet<string>;
  /** [instance][slot]. */
  readonly #slots: Slot[][];
  /** Sequences that accept further requests (not ended), by correlationKey. */
  readonly #live = new Map<string, Sequence>();
  readonly #backlog: Sequence[] = [];
  /** Queued requests by the sequence they wait in, so that a client going away cancels its sequence. */
  readonly #owners = new Map<InferenceRequest, Sequence>();
  readonly #aborts = new AbortWatch((request) => {
    const owner = this.#owners.get(request);
    if (owner !== undefined) this.#cancel(owner, request);
  });
  #running = 0;
  #stopping = false;
  #idle: (() => void) | undefined;
  #wake: TimerHandle | undefined;
  #reaper: TimerHandle | undefined;
  #reaperDue = Infinity;

  constructor(ctx: SequenceBatcherContext) {
    const batcher: ModelSequenceBatching = ctx.config.sequence_batching ?? {};
    const batching = ctx.spec.maxBatchSize > 0;
    this.#pool = ctx.pool;
    this.#clock = ctx.clock;
    this.#model = ctx.spec.name;
    this.#controls = new SequenceControls(batcher, batching);
    this.#states = loadImplicitStates(batcher, ctx.modelDir, batching);
    this.#stateOutputs = new Set(this.#states.map((s) => s.outputName));
    this.#stateInputOf = new Map(this.#states.map((s) => [s.outputName, s.inputName]));
    this.#policy = batchPolicy(batcher, ctx.spec.maxBatchSize);
    this.#idleMs = (batcher.max_sequence_idle_microseconds || DEFAULT_IDLE_US) / 1000;
    this.#ragged = new Set(ctx.spec.inputs.filter((t) => t.allowRaggedBatch).map((t) => t.name));
    this.#slots = Array.from({ length: ctx.pool.size }, (_, instance) =>
      Array.from({ length: this.#policy.slotCount }, (_, index): Slot => ({ instance, index, sequence: undefined })));
    ctx.pool.onCapacity(() => this.#pump());
  }

  /** Requests queued in sequences (slotted or in the backlog) not yet executing; scrape time only. */
  get pendingCount(): number {
    let n = 0;
    for (const slots of this.#slots) for (const slot of slots) n += slot.sequence?.queue.length ?? 0;
    for (const sequence of this.#backlog) n += sequence.queue.length;
    return n;
  }

  enqueue(request: InferenceRequest): void {
    const refused = this.#check(request);
    if (refused !== undefined) {
      request.respondError(refused);
      return;
    }
    const now = this.#clock.now();
    const key = correlationKey(request.correlationId);
    let sequence = this.#live.get(key);
    if (sequence === undefined) {
      if ((request.flags & REQUEST_FLAG_SEQUENCE_START) === 0) {
        request.respondError(errors.missingStart(this.#model, request.correlationId));
        return;
      }
      sequence = new Sequence(request.correlationId, now);
      this.#live.set(key, sequence);
      this.#place(sequence, now);
    }
    // A START for a sequence that never ended continues in its slot (Triton logs a conflict); its state
    // restarts when that request executes.
    sequence.queue.push({ request, at: now });
    sequence.lastSeen = now;
    if (sequence.slot === undefined && request.timeoutUs > 0) {
      // Triton (experimental): a request `timeout` bounds the wait of a sequence that has no slot yet.
      sequence.expiresAt = Math.min(sequence.expiresAt, now + request.timeoutUs / 1000);
      this.#armReaper(sequence.expiresAt);
    }
    if ((request.flags & REQUEST_FLAG_SEQUENCE_END) !== 0) {
      // A later request with this id starts a new sequence (or is refused without START).
      this.#live.delete(key);
      sequence.closing = true;
    }
    if (request.signal !== undefined) {
      this.#owners.set(request, sequence);
      this.#aborts.watch(request);
    }
    this.#pump();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#clearReaper();
    // Nothing new can join a sequence now: sequences with nothing queued give their slots up at once,
    // so backlogged sequences get to run and the drain does not wait for idle timeouts.
    for (const row of this.#slots) {
      for (const slot of row) {
        const s = slot.sequence;
        if (s !== undefined && s.queue.length === 0) this.#end(s);
      }
    }
    this.#pump();
    if (this.#settled()) return;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }

  /** spec §4.2 checks, in Triton's order: CORRID type (request normalization), batch size, correlation id. */
  #check(request: InferenceRequest): ServerError | undefined {
    if (this.#stopping) return errors.stopping();
    const id = request.correlationId;
    const corrid = this.#controls.corrid;
    if (corrid !== undefined && hasCorrelationId(id) && !corridAccepts(corrid.datatype, id)) {
      return errors.corridTypeMismatch(request.id, corrid.name, correlationIdType(id), this.#model, corrid.datatype);
    }
    if (request.batchSize > 1) return errors.batchSizeNotOne(this.#model);
    if (!hasCorrelationId(id)) return errors.noCorrelationId(this.#model);
    return undefined;
  }

  /** A new sequence takes the free slot with the lowest index on any instance (spreading sequences over instances), else the backlog. */
  #place(sequence: Sequence, now: number): void {
    for (let index = 0; index < this.#policy.slotCount; index++) {
      for (const row of this.#slots) {
        const slot = row[index]!;
        if (slot.sequence === undefined) {
          this.#assign(slot, sequence, now);
          return;
        }
      }
    }
    this.#backlog.push(sequence);
  }

  #assign(slot: Slot, sequence: Sequence, now: number): void {
    slot.sequence = sequence;
    sequence.slot = slot;
    // The idle timeout counts from getting the slot, not from the wait in the backlog.
    sequence.lastSeen = Math.max(sequence.lastSeen, now);
    this.#armReaper(sequence.lastSeen + this.#idleMs);
  }

  /** No more requests join `sequence`; its slot (and state) go once its queue is empty. */
  #end(sequence: Sequence): void {
    const key = correlationKey(sequence.id);
    if (this.#live.get(key) === sequence) this.#live.delete(key);
    sequence.closing = true;
    if (sequence.queue.length > 0) return;
    if (sequence.slot !== undefined) this.#freeSlot(sequence);
    else {
      const at = this.#backlog.indexOf(sequence);
      if (at >= 0) this.#backlog.splice(at, 1);
    }
  }

  /** Frees the sequence's slot and drops its state; the oldest backlogged sequence takes the slot. */
  #freeSlot(sequence: Sequence): void {
    const slot = sequence.slot;
    if (slot === undefined) return;
    slot.sequence = undefined;
    sequence.slot = undefined;
    sequence.state = undefined;
    const next = this.#backlog.shift();
    if (next !== undefined) this.#assign(slot, next, this.#clock.now());
  }

  /**
   * Triton ends a sequence whose queued request is cancelled: that request and the ones queued behind
   * it fail with CANCELLED and never execute, and the slot is freed.
   */
  #cancel(sequence: Sequence, request: InferenceRequest): void {
    if (!sequence.queue.some((q) => q.request === request)) return;
    const dropped = sequence.queue.splice(0);
    for (const q of dropped) {
      this.#leaveQueue(q.request);
      q.request.respondError(ServerError.cancelled());
    }
    this.#end(sequence);
    this.#pump();
    this.#settleIfStopped();
  }

  /**
   * Starts an execution on every idle instance that has ready sequences. Re-entrant calls (a cancel while
   * a batch is built, a backend answering inside `execute`) only ask for another round.
   */
  #pump(): void {
    this.#pumper.run();
  }

  #pumpOnce(): void {
    if (this.#wake !== undefined) {
      this.#clock.clearTimer(this.#wake);
      this.#wake = undefined;
    }
    const now = this.#clock.now();
    let waitMs = Infinity;
    for (let instance = 0; instance < this.#slots.length; instance++) {
      if (!this.#pool.isIdle(instance)) continue;
      const ready: Sequence[] = [];
      for (const slot of this.#slots[instance]!) {
        if (slot.sequence !== undefined && slot.sequence.queue.length > 0) ready.push(slot.sequence);
      }
      if (ready.length === 0) continue;
      const pick = this.#policy.pick(ready, now, this.#stopping);
      if ('waitMs' in pick) waitMs = Math.min(waitMs, pick.waitMs);
      else this.#dispatch(instance, pick.take);
    }
    if (waitMs < Infinity) {
      this.#wake = this.#clock.setTimer(() => {
        this.#wake = undefined;
        this.#pump();
      }, waitMs);
    }
  }

  /** One execution on `instance`: the next request of each picked sequence whose shapes fit the first. */
  #dispatch(instance: number, picked: readonly Sequence[]): void {
    const batch: InferenceRequest[] = [];
    let first: InferenceRequest | undefined;
    for (const sequence of picked) {
      const next = sequence.queue[0]!.request;
      if (next.isCancelled) {
        // Aborted before its listener could run (listeners added after an abort never fire).
        this.#cancel(sequence, next);
        continue;
      }
      if (first !== undefined && !sameShapes(first, next, this.#ragged)) continue;
      sequence.queue.shift();
      this.#leaveQueue(next);
      first ??= next;
      batch.push(this.#prepare(sequence, next));
      // The END request is on its way: the slot can take the next sequence (it runs after this execution).
      if (sequence.queue.length === 0 && (sequence.closing || this.#stopping)) this.#end(sequence);
    }
    if (batch.length === 0) return;
    this.#running += 1;
    void this.#pool.run(batch, instance).then(this.#afterRun, this.#afterRun);
  }

  /** A request is out of its sequence's queue (executing or answered): no more abort listener for it. */
  #leaveQueue(request: InferenceRequest): void {
    this.#aborts.unwatch(request);
    this.#owners.delete(request);
  }

  /** The request the backend runs: controls and state inputs added, state outputs requested and kept. */
  #prepare(sequence: Sequence, request: InferenceRequest): InferenceRequest {
    if ((request.flags & REQUEST_FLAG_SEQUENCE_START) !== 0) sequence.state = undefined;
    const inputs: Tensor[] = this.#controls.tensors(request.flags, request.correlationId);
    for (const s of this.#states) inputs.push(sequence.state?.get(s.inputName) ?? s.initial);
    if (inputs.length === 0) return request;
    return executionRequest(request, {
      inputs,
      stateOutputs: this.#stateOutputs,
      onState: (outputs) => this.#keepState(sequence, outputs),
    });
  }

  #keepState(sequence: Sequence, outputs: readonly Tensor[]): void {
    const state = (sequence.state ??= new Map());
    for (const t of outputs) {
      const name = this.#stateInputOf.get(t.name)!;
      state.set(name, { name, datatype: t.datatype, shape: t.shape, data: t.data });
    }
  }

  readonly #afterRun = (): void => {
    this.#running -= 1;
    this.#pump();
    this.#settleIfStopped();
  };

  /**
   * One reaper timer for the earliest idle deadline. Requests only push deadlines later, so a timer that
   * fires early just re-arms; only an earlier deadline (a slot just handed out) replaces it.
   */
  #armReaper(due: number): void {
    if (this.#stopping || (this.#reaper !== undefined && this.#reaperDue <= due)) return;
    this.#clearReaper();
    this.#reaperDue = due;
    this.#reaper = this.#clock.setTimer(() => {
      this.#reaper = undefined;
      this.#reap();
    }, Math.max(0, due - this.#clock.now()));
  }

  #clearReaper(): void {
    if (this.#reaper === undefined) return;
    this.#clock.clearTimer(this.#reaper);
    this.#reaper = undefined;
  }

  /**
   * Ends sequences holding a slot without a request for max_sequence_idle_microseconds, and fails
   * backlogged sequences whose request timeout passed before they got a slot; re-arms for the rest.
   */
  #reap(): void {
    const now = this.#clock.now();
    let next = Infinity;
    for (const sequence of [...this.#live.values()]) {
      if (sequence.slot === undefined) continue;
      const due = sequence.lastSeen + this.#idleMs;
      if (due <= now) this.#end(sequence);
      else next = Math.min(next, due);
    }
    for (const sequence of [...this.#backlog]) {
      if (sequence.expiresAt > now) {
        next = Math.min(next, sequence.expiresAt);
        continue;
      }
      const expired = sequence.queue.splice(0);
      this.#end(sequence);
      for (const q of expired) {
        this.#leaveQueue(q.request);
        q.request.respondError(errors.backlogTimeout());
      }
    }
    if (next < Infinity) this.#armReaper(next);
    this.#pump();
    this.#settleIfStopped();
  }

  #settled(): boolean {
    if (this.#running > 0 || this.#backlog.length > 0) return false;
    return this.#slots.every((row) => row.every((slot) => slot.sequence === undefined || slot.sequence.queue.length === 0));
  }

  #settleIfStopped(): void {
    if (!this.#stopping || !this.#settled()) return;
    if (this.#wake !== undefined) this.#clock.clearTimer(this.#wake);
    this.#wake = undefined;
    this.#idle?.();
  }
}
