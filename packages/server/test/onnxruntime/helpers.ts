/**
 * Test support for the ONNX Runtime backend: model files on disk, specs from configs, real
 * InferenceRequests (validated by core) whose sink collects responses.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataTypeFromConfig, type DataType } from '@inferd/protocol';
import { InferenceRequest, type InferenceResponse, type ModelSpec, type RequestedOutput, type Tensor } from '../../src/core/index.js';
import { validateRequest } from '../../src/core/validate.js';
import type { ModelConfig, ModelInput, ModelOutput } from '../../src/config/types.js';
import type { BackendInstanceContext, BackendLogger, BackendModelContext } from '../../src/backends/contract.js';
import { noInvoker } from '../support/no-invoker.js';

export const quietLog: BackendLogger = { info() {}, warn() {}, error() {}, verbose() {} };

/** A model dir `<tmp>/<name>/1/model.onnx`; returns the backend model context for it. */
export function modelOnDisk(
  name: string, model: Uint8Array, config: ModelConfig, backendConfig: Record<string, string> = {},
): BackendModelContext & { cleanup(): void } {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-ort-'));
  const modelDir = join(repo, name);
  const versionDir = join(modelDir, '1');
  mkdirSync(versionDir, { recursive: true });
  writeFileSync(join(versionDir, 'model.onnx'), model);
  return {
    modelDir, versionDir, version: 1, modelPath: join(versionDir, 'model.onnx'), config: { name, ...config },
    backendConfig, log: quietLog, invoker: noInvoker, cleanup: () => rmSync(repo, { recursive: true, force: true }),
  };
}

/** Backend model context for an existing model directory (the example repository). */
export function existingModel(modelDir: string, name: string, config: ModelConfig): BackendModelContext {
  return {
    modelDir, versionDir: join(modelDir, '1'), version: 1, modelPath: join(modelDir, '1', 'model.onnx'),
    config: { name, ...config }, backendConfig: {}, log: quietLog, invoker: noInvoker,
  };
}

function dtype(io: ModelInput | ModelOutput): DataType {
  const dt = dataTypeFromConfig(io.data_type ?? 'TYPE_INVALID');
  if (dt === undefined) throw new Error(`bad data_type in test config: ${io.data_type}`);
  return dt;
}

/** The spec core would derive from this (already complete) config. */
export function specOf(config: ModelConfig, labels: Record<string, string[]> = {}): ModelSpec {
  const name = config.name ?? '';
  return {
    name,
    version: 1,
    platform: 'onnxruntime_onnx',
    maxBatchSize: config.max_batch_size ?? 0,
    internalInputs: [],
    internalOutputs: [],
    inputs: (config.input ?? []).map((io) => ({
      name: io.name ?? '', datatype: dtype(io), dims: io.dims ?? [],
      ...(io.reshape ? { reshape: io.reshape.shape ?? [] } : {}),
      optional: io.optional === true, allowRaggedBatch: false, isShapeTensor: false,
    })),
    outputs: (config.output ?? []).map((io) => ({
      name: io.name ?? '', datatype: dtype(io), dims: io.dims ?? [],
      ...(io.reshape ? { reshape: io.reshape.shape ?? [] } : {}),
      optional: false, allowRaggedBatch: false, isShapeTensor: false,
      ...(labels[io.name ?? ''] ? { labels: labels[io.name ?? ''] } : {}),
    })),
    decoupled: false,
    configJson: {},
  };
}

export function instanceContext(config: ModelConfig, name = `${config.name ?? 'm'}_0_0`): BackendInstanceContext {
  return { name, kind: 'KIND_CPU', deviceId: 0, config, spec: specOf(config) };
}

export interface Collected {
  readonly request: InferenceRequest;
  readonly responses: InferenceResponse[];
}

/** A request validated by core exactly as InferenceServer.infer does, collecting its responses. */
export function request(
  spec: ModelSpec, inputs: readonly Tensor[], outputs?: readonly RequestedOutput[], id = '',
): Collected {
  const init = { modelName: spec.name, id, inputs, ...(outputs ? { outputs } : {}) };
  const { batchSize, requestedOutputs } = validateRequest(init, spec);
  const responses: InferenceResponse[] = [];
  const req = new InferenceRequest({
    init, modelVersion: 1, requestedOutputs, batchSize, received: 1, sink: (r) => responses.push(r),
  });
  return { request: req, responses };
}

/** The one final response of a request; fails when it is an error. */
export function only(c: Collected): InferenceResponse {
  if (c.responses.length !== 1) throw new Error(`expected 1 response, got ${c.responses.length}`);
  const r = c.responses[0]!;
  if (r.error !== undefined) throw r.error;
  return r;
}

export function output(c: Collected, name: string): Tensor {
  const t = only(c).outputs.find((o) => o.name === name);
  if (t === undefined) throw new Error(`no output '${name}'`);
  return t;
}

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export const f32 = (values: readonly number[]): Uint8Array => bytesOf(new Float32Array(values));
export const i32 = (values: readonly number[]): Uint8Array => bytesOf(new Int32Array(values));
export const readF32 = (data: Uint8Array): number[] => [...new Float32Array(data.slice().buffer)];
export const readI32 = (data: Uint8Array): number[] => [...new Int32Array(data.slice().buffer)];

/** `count` floats distinct per request (`seed`), so a reply holding another request's bytes fails `assertSameFloats`. */
export function floatPattern(seed: number, count: number): Float32Array {
  const a = new Float32Array(count);
  for (let i = 0; i < count; i++) a[i] = seed * 1e6 + (i % 1_000_003);
  return a;
}

/** `got` holds exactly `want`'s values; names the first element that differs. */
export function assertSameFloats(got: Uint8Array, want: Float32Array, what: string): void {
  assert.equal(got.byteLength, want.byteLength, `${what}: byte length`);
  const values = new Float32Array(got.buffer.slice(got.byteOffset, got.byteOffset + got.byteLength));
  for (let i = 0; i < want.length; i++) {
    if (values[i] !== want[i]) assert.fail(`${what}: element ${i} is ${values[i]}, want ${want[i]}`);
  }
}
