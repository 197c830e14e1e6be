/**
 * Test support for the sequence batcher: a plug-in backend that records what every execution received
 * (instance, inputs with dtype/shape/bytes, requested outputs) and computes an accumulator
 * (OUTPUT = INPUT + ACC_IN, ACC_OUT = the same) so implicit state is visible; executions can be held
 * until the test releases them. Used both through a real InferenceServer (backend directory) and
 * directly under a SequenceBatcher with a ManualClock.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { normalizeConfig, parseModelConfigText, toModelSpec } from '../../src/config/index.js';
import {
  InferenceRequest, ModelStats, nowNs,
  type CancelSignal, type ExecutionInstance, type InferenceResponse, type Scheduler,
} from '../../src/core/index.js';
import { validateRequest } from '../../src/core/validate.js';
import type { Backend } from '../../src/backends/contract.js';
import { createScheduler } from '../../src/scheduler/create-scheduler.js';
import { InstancePool } from '../../src/scheduler/instance-pool.js';
import { ManualClock } from '../support/manual-clock.js';
import { pluginBackend } from '../support/plugin-backend.js';

export const RECORD_BACKEND = pluginBackend('test_seq_record', `
          const state = (globalThis.__inferdSeq ??= { log: [], gates: [], hold: false });
          state.log.push({
            instance: ctx.name,
            requests: requests.map((r) => ({
              id: r.id,
              inputs: Object.fromEntries(r.inputs.map((t) => [t.name, { datatype: t.datatype, shape: [...t.shape], bytes: [...t.data] }])),
              outputs: r.requestedOutputs.map((o) => o.name),
            })),
          });
          if (state.hold) await new Promise((resolve) => state.gates.push(resolve));
          else await Promise.resolve();
          for (const r of requests) {
            const input = r.input('INPUT');
            const acc = r.input('ACC_IN');
            const sum = int32(input) + int32(acc);
            const data = new Uint8Array(new Int32Array([sum]).buffer);
            const outputs = [];
            for (const { name } of r.requestedOutputs) {
              if (name === 'OUTPUT') outputs.push({ name, datatype: 'INT32', shape: input.shape, data });
              if (name === 'ACC_OUT') outputs.push({ name, datatype: 'INT32', shape: acc.shape, data });
            }
            r.respond({ outputs });
          }`, `function int32(t) {
  return t === undefined ? 0 : new DataView(t.data.buffer, t.data.byteOffset, 4).getInt32(0, true);
}`);

export interface RecordedTensor { datatype: string; shape: number[]; bytes: number[] }
export interface RecordedRequest { id: string; inputs: Record<string, RecordedTensor>; outputs: string[] }
export interface Execution { instance: string; requests: RecordedRequest[] }
export interface RecordState { log: Execution[]; gates: (() => void)[]; hold: boolean }

/** Resets and returns the backend's shared record. */
export function resetRecord(hold = false): RecordState {
  const g = globalThis as Record<string, unknown>;
  g.__inferdSeq = { log: [], gates: [], hold } satisfies RecordState;
  return g.__inferdSeq as RecordState;
}

/** Writes the backend into a fresh backend directory (`<dir>/test_seq_record/index.mjs`). */
export function writeBackendDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-seq-backends-'));
  mkdirSync(join(dir, 'test_seq_record'), { recursive: true });
  writeFileSync(join(dir, 'test_seq_record', 'index.mjs'), RECORD_BACKEND);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A sequence model config for the record backend: INPUT/OUTPUT INT32 [1], plus `extra` (sequence_batching...). */
export function seqConfig(sequenceBatching: string, options: { maxBatch?: number; instances?: number; extra?: string } = {}): string {
  return [
    'backend: "test_seq_record"',
    `max_batch_size: ${options.maxBatch ?? 0}`,
    'input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    `instance_group [ { count: ${options.instances ?? 1} kind: KIND_CPU } ]`,
    `sequence_batching { ${sequenceBatching} }`,
    options.extra ?? '',
  ].join('\n');
}

export const START = 1;
export const END = 2;

export function int32Bytes(v: number): Uint8Array {
  return new Uint8Array(new Int32Array([v]).buffer);
}

export function readInt32(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true);
}

/** Waits (event-loop turns, no timers) until `cond` holds. */
export async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** A few event-loop turns: lets anything that would happen now happen. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
}

export interface SendOptions {
  readonly id?: string;
  readonly flags?: number;
  readonly signal?: CancelSignal;
  /** Rows in the batch dim (batching models); default 1. */
  readonly rows?: number;
  /** The request `timeout` (µs). */
  readonly timeoutUs?: number;
}

/** A SequenceBatcher (via createScheduler) over the record backend's instances, driven by a ManualClock. */
export interface DirectHarness {
  readonly clock: ManualClock;
  readonly scheduler: Scheduler;
  readonly record: RecordState;
  readonly maxBatch: number;
  /** Enqueues one request; resolves with its final response (errors included, never rejects). */
  send(correlationId: bigint | string, value: number, options?: SendOptions): Promise<InferenceResponse>;
}

let backendModule: Promise<{ backend: Backend }> | undefined;

export async function directHarness(config: string, options: { modelDir?: string; hold?: boolean } = {}): Promise<DirectHarness> {
  const record = resetRecord(options.hold ?? false);
  if (backendModule === undefined) {
    const dir = writeBackendDir();
    backendModule = import(pathToFileURL(join(dir.dir, 'test_seq_record', 'index.mjs')).href) as Promise<{ backend: Backend }>;
  }
  const { backend } = await backendModule;
  const normalized = normalizeConfig(parseModelConfigText(config, 'seq/config.pbtxt'), { modelName: 'seq' });
  const spec = toModelSpec(normalized, 1, new Map());
  const model = await backend.createModel({} as never);
  const instances: ExecutionInstance[] = [];
  const count = normalized.instance_group?.[0]?.count ?? 1;
  for (let i = 0; i < count; i++) {
    instances.push(await model.createInstance({ name: `seq_${i}`, kind: 'KIND_CPU', deviceId: 0, config: normalized, spec }));
  }
  const pool = new InstancePool(instances, new ModelStats('seq', 1));
  const clock = new ManualClock();
  const scheduler = createScheduler({ pool, spec, config: normalized, modelDir: options.modelDir ?? '/nonexistent', clock });
  const maxBatch = spec.maxBatchSize;
  return {
    clock, scheduler, record, maxBatch,
    send(correlationId, value, opts = {}) {
      const rows = opts.rows ?? 1;
      const data = new Uint8Array(new Int32Array(Array.from({ length: rows }, () => value)).buffer);
      const init = {
        modelName: 'seq', id: opts.id ?? '', correlationId, flags: opts.flags ?? 0,
        inputs: [{ name: 'INPUT', datatype: 'INT32' as const, shape: maxBatch > 0 ? [rows, 1] : [1], data }],
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        ...(opts.timeoutUs === undefined ? {} : { timeoutUs: opts.timeoutUs }),
      };
      const checked = validateRequest(init, spec);
      return new Promise((resolve) => {
        const request = new InferenceRequest({
          init, modelVersion: 1, requestedOutputs: checked.requestedOutputs, batchSize: checked.batchSize, received: nowNs(),
          sink: (r) => {
            if (r.final) resolve(r);
          },
        });
        scheduler.enqueue(request);
      });
    },
  };
}

/** OUTPUT of a successful response. */
export function outputValue(r: InferenceResponse): number {
  if (r.error !== undefined) throw r.error;
  const out = r.outputs.find((t) => t.name === 'OUTPUT');
  if (out === undefined) throw new Error('no OUTPUT');
  return readInt32(out.data);
}
