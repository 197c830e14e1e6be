/**
 * A Python model instance: one stub process running the model's `TritonPythonModel`. `execute` sends
 * the batch as one frame and settles when the stub reports the batch done; responses arrive as frames
 * (one `done` frame with every response in default mode, `resp` frames from response senders). A stub
 * that dies fails its in-flight requests and is started again, so the model keeps serving.
 *
 * Staging (issue 15): the instance takes a second execution while one runs (`executionSlots`, used by a
 * pool made with `staging`). Its frame goes out at once, its inputs land in the stub's region, and the stub's
 * main thread runs it after the current one (the stub's reader thread queues every execute frame). A staged
 * execution starts when the one before it is done: its compute timestamps are moved to that moment, so the
 * wait counts as queue time and compute_infer stays the model's own time. A request cancelled while staged
 * is answered CANCELLED at once, as one cancelled in the scheduler's queue (the stub is told too, so a model
 * that checks `is_cancelled()` can skip it). A stub that dies fails both executions with its reason.
 */
import {
  ServerError, reuseOwnedInputs, type ExecutionInstance, type InferenceRequest, type ModelInvoker,
} from '../../core/index.js';
import type { BackendLogger } from '../contract.js';
import { BatchOrder } from './batch-order.js';
import { BlsBridge } from './bls.js';
import type { PythonMetricOwner } from './custom-metrics.js';
import type { FrameHead } from './framing.js';
import { HealthCheck } from './health-check.js';
import { withInstallHint } from './missing-module.js';
import { StubProcess } from './stub-process.js';
import { deliverResponse, requestHead, toServerError, type WireResponse } from './wire-messages.js';

export interface PythonInstanceOptions {
  readonly name: string;
  readonly modelName: string;
  readonly interpreter: string;
  /** Extra environment variables for the stub. */
  readonly env?: Readonly<Record<string, string>>;
  readonly stubDir: string;
  readonly modelPath: string;
  readonly decoupled: boolean;
  /** `initialize(args)`: every value a string (spec §10). */
  readonly args: Readonly<Record<string, string>>;
  /**
   * `stub-timeout-seconds` in ms: how long a health check may go unanswered, finalize may take, and an
   * unload waits for streaming responses, before the stub is killed.
   */
  readonly stubTimeoutMs: number;
  readonly log: BackendLogger;
  /** What the instance is called in initialize errors: "Python" unless a Python-run backend names itself. */
  readonly kindLabel?: string;
  /** Runs the models the stub calls through BLS. */
  readonly invoker: ModelInvoker;
  /** Keeps this instance's `MetricFamily` values for /metrics; absent = they stay in the stub. */
  readonly metrics?: PythonMetricOwner;
}

interface InFlight {
  readonly request: InferenceRequest;
  readonly onAbort: (() => void) | undefined;
}

interface Waiter {
  resolve(): void;
  reject(err: ServerError): void;
}

const LOG_LEVELS = new Set(['info', 'warning', 'error', 'verbose']);

export class PythonInstance implements ExecutionInstance {
  readonly name: string;
  /** One execution running in the stub and one staged behind it (see the top). */
  readonly executionSlots = 2;

  /**
   * Not while the stub waits on BLS calls: one into this same model could be staged behind its own parent
   * and never run (with another instance free later it would have run there).
   */
  get canStage(): boolean {
    return (this.#bls?.inFlight ?? 0) === 0;
  }
  readonly #o: PythonInstanceOptions;
  #stub: StubProcess | undefined;
  /** BLS and model control of the current stub. */
  #bls: BlsBridge | undefined;
  /** The current (re)start: spawn + initialize. */
  #starting: Promise<void> | undefined;
  #initWaiter: Waiter | undefined;
  #finalizeWaiter: (() => void) | undefined;
  readonly #inflight = new Map<number, InFlight>();
  /** Batches sent and not done, in the order sent: the first is running, a second is staged. */
  readonly #batches = new BatchOrder();
  readonly #idleWaiters: (() => void)[] = [];
  /** is_ready() probes waiting for the stub's answer, by probe id. */
  readonly #probes = new Map<number, (ready: boolean) => void>();
  #nextProbe = 1;
  /** The model defines is_ready() (reported by the stub after initialize). */
  #hasIsReady = false;
  #health: HealthCheck | undefined;
  #nextKey = 1;
  #nextBatch = 1;
  #disposed: Promise<void> | undefined;

  private constructor(options: PythonInstanceOptions) {
    this.name = options.name;
    this.#o = options;
  }

  /** Starts the stub and runs `initialize`; rejects (and leaves no process) when either fails. */
  static async start(options: PythonInstanceOptions): Promise<PythonInstance> {
    const instance = new PythonInstance(options);
    await instance.#restart();
    return instance;
  }

  async execute(requests: readonly InferenceRequest[]): Promise<void> {
    let stub = this.#stub;
    if (stub === undefined || stub.exited) {
      try {
        await (this.#starting ?? this.#restart());
        if (this.#stub === undefined || this.#stub.exited) await this.#restart();
      } catch (err) {
        for (const r of requests) r.respondError(err);
        return;
      }
      stub = this.#stub!;
    }
    const batchId = this.#nextBatch++;
    const keys: number[] = [];
    const heads: Record<string, unknown>[] = [];
    const buffers: Uint8Array[] = [];
    for (const request of requests) {
      const key = this.#nextKey++;
      keys.push(key);
      heads.push(requestHead(key, request));
      for (const t of request.inputs) buffers.push(t.data);
      this.#track(key, request);
    }
    // Staged when the stub is still busy with an earlier batch: its inputs may then travel in slices.
    const staged = this.#batches.size > 0;
    const done = new Promise<void>((settle) => this.#batches.add(batchId, { keys, requests, settle }));
    try {
      stub.send({ t: 'execute', batch: batchId, requests: heads }, buffers, (copied) => {
        for (const r of requests) r.stamp('computeInputEnd');
        if (copied) reuseOwnedInputs(requests);
      }, staged);
    } catch (err) {
      this.#failBatch(batchId, ServerError.from(err));
    }
    await done;
  }

  /**
   * Model readiness (spec §10): false while the stub is down or restarting; else the model's
   * `is_ready()` when it defines one, false when that does not answer within `timeoutMs`.
   */
  async isReady(timeoutMs = 5000): Promise<boolean> {
    const stub = this.#stub;
    if (stub === undefined || stub.exited || this.#starting !== undefined || this.#disposed !== undefined) return false;
    if (!this.#hasIsReady) return true;
    const id = this.#nextProbe++;
    const answer = new Promise<boolean>((resolve) => this.#probes.set(id, resolve));
    try {
      stub.send({ t: 'is_ready', id });
    } catch {
      this.#probes.delete(id);
      return false;
    }
    const ready = await Promise.race([answer, delay(timeoutMs).then(() => false)]);
    this.#probes.delete(id);
    return ready;
  }

  /** Waits for streaming (decoupled) requests, runs `finalize()`, and ends the process. Idempotent. */
  dispose(): Promise<void> {
    this.#disposed ??= this.#dispose();
    return this.#disposed;
  }

  async #dispose(): Promise<void> {
    await this.#starting?.catch(() => {});
    // finalize() may take its time; stub-timeout-seconds bounds it below.
    this.#health?.stop();
    if (this.#inflight.size > 0) await this.#whenIdle(this.#o.stubTimeoutMs);
    const stub = this.#stub;
    if (stub !== undefined && !stub.exited) {
      const finalized = new Promise<void>((resolve) => (this.#finalizeWaiter = resolve));
      try {
        stub.send({ t: 'finalize' });
        await Promise.race([finalized, stub.whenExited(), delay(this.#o.stubTimeoutMs)]);
      } catch {
        // Already gone: nothing to finalize.
      }
      await stub.stop(this.#o.stubTimeoutMs);
    }
    this.#failAll(ServerError.unavailable(`model instance '${this.name}' was unloaded`));
    // The model's families leave /metrics with it.
    this.#o.metrics?.close();
  }

  #restart(): Promise<void> {
    const starting = this.#spawnAndInit();
    this.#starting = starting;
    starting.then(
      () => { if (this.#starting === starting) this.#starting = undefined; },
      () => { if (this.#starting === starting) this.#starting = undefined; },
    );
    return starting;
  }

  async #spawnAndInit(): Promise<void> {
    if (this.#disposed !== undefined) throw ServerError.unavailable(`model instance '${this.name}' was unloaded`);
    const initialized = new Promise<void>((resolve, reject) => (this.#initWaiter = { resolve, reject }));
    // Answers go to the stub that asked, never to a successor after a restart.
    const bls = new BlsBridge({ invoker: this.#o.invoker, modelName: this.#o.modelName, send: (h, b) => stub.send(h, b) });
    const stub: StubProcess = new StubProcess({
      interpreter: this.#o.interpreter,
      ...(this.#o.env === undefined ? {} : { env: this.#o.env }),
      stubDir: this.#o.stubDir,
      modelPath: this.#o.modelPath,
      instanceName: this.name,
      log: this.#o.log,
      onFrame: (head, body) => {
        // MetricFamily frames (`metric_*`); answers go to the stub that asked.
        if (head.t.startsWith('metric_')) this.#o.metrics?.onFrame(head, (h) => stub.send(h));
        else this.#onFrame(head, body, bls);
      },
      onExit: (description, lastError) => {
        bls.close();
        this.#onExit(stub, description, lastError);
      },
    });
    this.#stub = stub;
    this.#bls = bls;
    try {
      stub.send({ t: 'init', args: this.#o.args, decoupled: this.#o.decoupled, metrics: this.#o.metrics !== undefined });
    } catch {
      // The exit handler rejects the init waiter.
    }
    try {
      await initialized;
    } catch (err) {
      if (this.#stub === stub) this.#stub = undefined;
      stub.kill();
      await stub.whenExited();
      throw err;
    }
  }

  #onFrame(head: FrameHead, body: Buffer, bls: BlsBridge): void {
    switch (head.t) {
      case 'bls':
        bls.call(head as unknown as Parameters<BlsBridge['call']>[0], body, this.#isCancelled);
        return;
      case 'bls_cancel':
        bls.cancel(Number(head['id']));
        return;
      case 'control':
        bls.control(head as unknown as Parameters<BlsBridge['control']>[0]);
        return;
      case 'resp':
        this.#onResponse(head as unknown as WireResponse & { key: number; final: boolean }, body);
        return;
      case 'done':
        this.#onDone(head as unknown as { batch: number; error?: WireResponse['error']; responses?: (WireResponse | null)[] }, body);
        return;
      case 'log':
        this.#onLog(String(head['level']), String(head['message']));
        return;
      case 'ready_state':
        this.#probes.get(Number(head['id']))?.(head['ready'] === true);
        return;
      case 'pong':
        this.#health?.pong();
        return;
      case 'ready':
        this.#hasIsReady = head['has_is_ready'] === true;
        this.#watch();
        this.#initWaiter?.resolve();
        this.#initWaiter = undefined;
        return;
      case 'init_error':
        this.#initWaiter?.reject(ServerError.invalidArg(
          `failed to initialize ${this.#o.kindLabel ?? 'Python'} model instance '${this.name}': ${withInstallHint(String(head['message']), this.#o.interpreter)}`,
        ));
        this.#initWaiter = undefined;
        return;
      case 'finalized':
        this.#finalizeWaiter?.();
        return;
      default:
        this.#o.log.warn(`${this.name}: unexpected frame '${head.t}' from the Python stub`);
    }
  }

  #onResponse(head: WireResponse & { key: number; final: boolean }, body: Buffer): void {
    const entry = this.#inflight.get(head.key);
    if (entry === undefined) return;
    deliverResponse(entry.request, head, body, 0, head.final, this.#o.modelName);
    if (head.final) this.#release(head.key);
  }

  #onDone(head: { batch: number; error?: WireResponse['error']; responses?: (WireResponse | null)[] }, body: Buffer): void {
    const batch = this.#batches.get(head.batch);
    if (batch === undefined) return;
    if (head.error !== undefined) {
      this.#failBatch(head.batch, toServerError(head.error));
      return;
    }
    this.#batches.end(head.batch);
    let offset = 0;
    head.responses?.forEach((response, i) => {
      const entry = this.#inflight.get(batch.keys[i]!);
      if (response === null || entry === undefined) return;
      offset = deliverResponse(entry.request, response, body, offset, true, this.#o.modelName);
    });
    // Default mode: every request is answered by now (the pool reports any that were not).
    if (!this.#o.decoupled) for (const key of batch.keys) this.#release(key);
    batch.settle();
  }

  #onLog(level: string, message: string): void {
    const text = `${this.name}: ${message}`;
    if (!LOG_LEVELS.has(level) || level === 'info') this.#o.log.info(text);
    else if (level === 'warning') this.#o.log.warn(text);
    else if (level === 'error') this.#o.log.error(text);
    else this.#o.log.verbose(1, text);
  }

  #watch(): void {
    const stub = this.#stub;
    this.#health?.stop();
    if (stub === undefined || this.#disposed !== undefined) return;
    this.#health = new HealthCheck(stub, this.#o.stubTimeoutMs, () => {
      this.#o.log.error(`Stub process '${this.name}' did not answer a health check within ${this.#o.stubTimeoutMs / 1000} s; killing it`);
      stub.kill();
    });
  }

  #onExit(stub: StubProcess, description: string, lastError: string | undefined): void {
    const current = this.#stub === stub;
    if (current) {
      this.#stub = undefined;
      this.#health?.stop();
    }
    const waiter = this.#initWaiter;
    this.#initWaiter = undefined;
    waiter?.reject(ServerError.invalidArg(
      `Python stub for model instance '${this.name}' ${description} during initialize` +
      (lastError === undefined ? '' : `: ${withInstallHint(lastError, this.#o.interpreter)}`),
    ));
    this.#finalizeWaiter?.();
    for (const resolve of this.#probes.values()) resolve(false);
    // A stub that never became ready (or one replaced already) answers nothing and is not restarted
    // here: that would loop on a model whose initialize() fails.
    if (!current || waiter !== undefined) return;
    if (this.#disposed !== undefined) {
      this.#failAll(ServerError.unavailable(`model instance '${this.name}' was unloaded`));
      return;
    }
    const message = `Failed to process the request(s) for model instance '${this.name}', message: ` +
      `Stub process '${this.name}' is not healthy (${description}).`;
    this.#o.log.error(`${message} Restarting it.`);
    this.#failAll(ServerError.internal(message));
    this.#restart().catch((err: unknown) => {
      this.#o.log.error(`restart of Python stub '${this.name}' failed: ${ServerError.from(err).message}`);
    });
  }

  #track(key: number, request: InferenceRequest): void {
    let onAbort: (() => void) | undefined;
    if (request.signal !== undefined && !request.signal.aborted) {
      onAbort = () => {
        try {
          this.#stub?.send({ t: 'cancel', key });
        } catch {
          // The stub is gone; its exit fails the request.
        }
        this.#bls?.parentCancelled(key, this.#isCancelled);
        // Not started yet: answered now, as in the scheduler's queue; the stub's answer for it is dropped.
        if (this.#batches.isStaged(key)) {
          request.respondError(ServerError.cancelled());
          this.#release(key);
        }
      };
      request.signal.addEventListener('abort', onAbort, { once: true });
    }
    this.#inflight.set(key, { request, onAbort });
  }

  /** For BLS: a request no longer in flight has nobody waiting for it either. */
  readonly #isCancelled = (key: number): boolean => {
    const entry = this.#inflight.get(key);
    return entry === undefined || entry.request.signal?.aborted === true;
  };

  #release(key: number): void {
    const entry = this.#inflight.get(key);
    if (entry === undefined) return;
    this.#inflight.delete(key);
    if (entry.onAbort !== undefined) entry.request.signal?.removeEventListener('abort', entry.onAbort);
    if (this.#inflight.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #failBatch(batchId: number, error: ServerError): void {
    const batch = this.#batches.get(batchId);
    if (batch === undefined) return;
    this.#batches.end(batchId);
    for (const key of batch.keys) {
      const entry = this.#inflight.get(key);
      if (entry !== undefined && !entry.request.isDone) entry.request.respondError(error);
      this.#release(key);
    }
    batch.settle();
  }

  #failAll(error: ServerError): void {
    for (const id of this.#batches.ids()) this.#failBatch(id, error);
    for (const [key, entry] of [...this.#inflight]) {
      if (!entry.request.isDone) entry.request.respondError(error);
      this.#release(key);
    }
  }

  #whenIdle(timeoutMs: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), delay(timeoutMs)]);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

