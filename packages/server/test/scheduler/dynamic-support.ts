/**
 * Test support for the dynamic batcher driven by a ManualClock: a real InferenceServer over a one-model
 * resolver whose scheduler comes from createScheduler (config parsed, normalized and validated from
 * pbtxt), a real InstancePool, and gated plug-in instances that record each execution and hold it
 * until the test releases exactly that execution (so instances can finish out of order).
 */
import assert from 'node:assert/strict';
import {
  InferenceServer, ModelStats, ServerError, type ExecutionInstance, type InferenceRequest, type InferenceResponse,
  type ModelLease, type ModelResolver, type ServedModel,
} from '../../src/core/index.js';
import { normalizeConfig, parseModelConfigText, toModelSpec, validateConfig } from '../../src/config/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { createScheduler } from '../../src/scheduler/create-scheduler.js';
import { InstancePool } from '../../src/scheduler/instance-pool.js';
import { ManualClock } from '../support/manual-clock.js';
import { fp32 } from '../support/temp-repo.js';

/** One execution an instance received: request ids and the instance, held until `release()`. */
export interface Execution {
  readonly instance: string;
  readonly ids: readonly string[];
  release(): void;
}

/** Responses in the order clients received them (every request of a Bed logs here). */
export interface Delivery {
  readonly id: string;
  readonly final: boolean;
  readonly error?: ServerError;
}

export interface Bed {
  readonly server: InferenceServer;
  readonly clock: ManualClock;
  readonly executions: Execution[];
  readonly delivered: Delivery[];
  /** Sends one request of `rows` rows (default 1) `[value, value + 1]`; resolves with its final response. */
  infer(id: string, options?: { priority?: number; timeoutUs?: number; value?: number; rows?: number }): Promise<InferenceResponse>;
  /** Waits (event-loop turns, no timers) until `n` executions were seen; fails when more or fewer. */
  executionsReach(n: number): Promise<void>;
  /** Event-loop turns to let pending work settle (for "nothing happened" assertions). */
  settle(): Promise<void>;
  /** Request ids of every execution so far. */
  ids(): string[][];
  /** Starts an HTTP frontend on an ephemeral port over this server. */
  http(): Promise<number>;
  close(): Promise<void>;
}

export interface BedOptions {
  readonly maxBatchSize?: number;
  readonly instances?: number;
  /** Decoupled: each request gets a non-final response when its execution starts, the final at release. */
  readonly decoupled?: boolean;
}

/**
 * The gated plug-in backend's instance: echoes INPUT0 as OUTPUT0 once its execution is released. A
 * decoupled one sends a first, non-final echo as soon as the execution starts.
 */
function gatedInstance(name: string, executions: Execution[], decoupled: boolean, gate: { open: boolean }): ExecutionInstance {
  return {
    name,
    async execute(requests: readonly InferenceRequest[]) {
      const echo = (r: InferenceRequest, final: boolean) => r.respond({ outputs: [{ ...r.inputs[0]!, name: 'OUTPUT0' }] }, final);
      if (decoupled) for (const r of requests) echo(r, false);
      await new Promise<void>((resolve) => {
        executions.push({ instance: name, ids: requests.map((r) => r.id), release: resolve });
        if (gate.open) resolve();
      });
      for (const r of requests) echo(r, true);
    },
    async dispose() {},
  };
}

class OneModelResolver implements ModelResolver {
  readonly model: ServedModel;
  constructor(model: ServedModel) {
    this.model = model;
  }

  acquire(name: string): ModelLease {
    if (name !== this.model.spec.name) throw ServerError.notFound(`Request for unknown model: '${name}' is not found`);
    return { model: this.model, release() {} };
  }

  readyModels(): readonly ServedModel[] {
    return [this.model];
  }

  index() {
    return [{ name: this.model.spec.name, version: String(this.model.spec.version), state: 'READY' as const }];
  }

  allModelsReady(): boolean {
    return true;
  }

  async load(): Promise<void> {
    throw ServerError.unavailable('explicit model load / unload is not allowed if polling is enabled');
  }

  async unload(): Promise<void> {
    throw ServerError.unavailable('explicit model load / unload is not allowed if polling is enabled');
  }

  async shutdown(): Promise<void> {
    await this.model.scheduler.stop();
  }
}

/** A model `m` (FP32 INPUT0 -> OUTPUT0, dims [-1]) with `dynamic_batching { <dynamicBatching> }`. */
export async function startBed(dynamicBatching: string, options: BedOptions = {}): Promise<Bed> {
  const maxBatchSize = options.maxBatchSize ?? 4;
  const text = [
    'name: "m"', 'backend: "test_gated"', `max_batch_size: ${maxBatchSize}`,
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    `dynamic_batching { ${dynamicBatching} }`,
    ...(options.decoupled ? ['model_transaction_policy { decoupled: true }'] : []),
  ].join('\n');
  const config = normalizeConfig(parseModelConfigText(text, 'config.pbtxt'), { modelName: 'm' });
  validateConfig(config, 'm');
  const spec = toModelSpec(config, 1, new Map());
  const clock = new ManualClock();
  const executions: Execution[] = [];
  const delivered: Delivery[] = [];
  /** Opened at close: executions still to come (queued work drained by shutdown) run at once. */
  const gate = { open: false };
  const instances = Array.from(
    { length: options.instances ?? 1 }, (_, i) => gatedInstance(`m_${i}`, executions, options.decoupled === true, gate),
  );
  const stats = new ModelStats('m', 1);
  const pool = new InstancePool(instances, stats, { decoupled: spec.decoupled });
  const scheduler = createScheduler({ pool, spec, config, modelDir: '/nonexistent', clock });
  const server = new InferenceServer({ resolver: new OneModelResolver({ spec, scheduler, stats }) });
  let frontend: HttpFrontend | undefined;
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };

  return {
    server, clock, executions, delivered,
    infer(id, o = {}) {
      const value = o.value ?? 0;
      const rows = o.rows ?? 1;
      const data = fp32(Array.from({ length: rows }, () => [value, value + 1]).flat());
      return new Promise((resolve, reject) => {
        server.inferStream({
          modelName: 'm', id,
          inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [rows, 2], data }],
          ...(o.priority === undefined ? {} : { priority: o.priority }),
          ...(o.timeoutUs === undefined ? {} : { timeoutUs: o.timeoutUs }),
        }, (r) => {
          delivered.push({ id: r.id, final: r.final, ...(r.error === undefined ? {} : { error: r.error }) });
          if (!r.final) return;
          if (r.error !== undefined) reject(r.error);
          else resolve(r);
        });
      });
    },
    async executionsReach(n) {
      for (let i = 0; i < 1000 && executions.length < n; i++) await turns(1);
      await turns(3);
      assert.equal(executions.length, n, `expected ${n} executions, saw ${JSON.stringify(executions.map((e) => e.ids))}`);
    },
    settle: () => turns(10),
    ids: () => executions.map((e) => [...e.ids]),
    async http() {
      frontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
      return (await frontend.listen()).port;
    },
    async close() {
      gate.open = true;
      for (const e of executions) e.release();
      await frontend?.close();
      await server.shutdown(1000);
    },
  };
}

/** Asserts a ServerError with `code` and `message`, for assert.rejects. */
export function serverError(code: string, message: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ServerError, `expected a ServerError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  };
}
