/**
 * THE conformance table: each scenario runs unchanged over every transport. A scenario either returns
 * a value that must deep-equal `expect`, or fails with `error`: Triton's exact message plus the core
 * error code, which each transport turns into its own status (spec §0). `only` marks the few
 * scenarios one protocol cannot express (streaming is gRPC-only); `errorOn` holds a per-transport
 * error where the protocols genuinely differ (HTTP routes reject non-numeric versions before core).
 */
import type { ErrorCode } from '../../src/core/index.js';
import type { InferCall, StatsCounters, Transport, TransportName } from './transport.js';

export interface ExpectedError {
  readonly message: string;
  readonly code: ErrorCode;
}

export interface Scenario {
  readonly name: string;
  readonly only?: TransportName;
  run(t: Transport): Promise<unknown>;
  readonly expect?: unknown;
  readonly error?: ExpectedError;
  readonly errorOn?: Partial<Record<TransportName, { readonly message: string; readonly status: number }>>;
}

/** Spec §0: core error code -> HTTP status and gRPC status code. */
export const STATUS: Readonly<Record<ErrorCode, Readonly<Record<TransportName, number>>>> = {
  INTERNAL: { http: 500, grpc: 13 },
  NOT_FOUND: { http: 404, grpc: 5 },
  UNAVAILABLE: { http: 503, grpc: 14 },
  UNSUPPORTED: { http: 501, grpc: 12 },
  INVALID_ARG: { http: 400, grpc: 3 },
  ALREADY_EXISTS: { http: 400, grpc: 6 },
  CANCELLED: { http: 400, grpc: 1 },
  UNKNOWN: { http: 400, grpc: 2 },
};

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

const simple = (a: number[], b: number[], batch = 1, extra: Partial<InferCall> = {}): InferCall => ({
  model: 'simple',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [batch, 16], data: a },
    { name: 'INPUT1', datatype: 'INT32', shape: [batch, 16], data: b },
  ],
  ...extra,
});

const fp32In = (model: string, shape: number[], data: number[], extra: Partial<InferCall> = {}): InferCall => ({
  model, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape, data }], ...extra,
});

const A = range(16);
const B = range(16, () => 1);

/** Stats counters of one model, to compare before/after known traffic. */
async function counters(t: Transport, model: string): Promise<StatsCounters> {
  const [s] = await t.stats(model);
  if (s === undefined) throw new Error(`no statistics for ${model}`);
  return s;
}

export const SCENARIOS: readonly Scenario[] = [
  // --- health and readiness
  {
    name: 'server live and ready',
    run: async (t) => [await t.live(), await t.ready()],
    expect: [true, true],
  },
  {
    name: 'model ready: latest and version 1',
    run: async (t) => [await t.modelReady('simple'), await t.modelReady('simple', '1'), await t.modelReady('repeat_int32')],
    expect: [true, true, true],
  },
  {
    // Triton: ModelIsReady succeeds with ready=false (gRPC OK, HTTP 400 "Model version not ready").
    name: 'model ready of an unknown model or version is false, not an error',
    run: async (t) => [await t.modelReady('nope'), await t.modelReady('simple', '9')],
    expect: [false, false],
  },
  // --- metadata and config
  {
    name: 'metadata of simple (batch dimension shown as -1)',
    run: (t) => t.metadata('simple'),
    expect: {
      name: 'simple', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] }],
    },
  },
  {
    name: 'metadata of nobatch (no batch dimension) and strings (BYTES) at version 1',
    run: async (t) => [await t.metadata('nobatch'), await t.metadata('strings', '1')],
    expect: [
      {
        name: 'nobatch', versions: ['1'], platform: 'onnxruntime_onnx',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3] }], outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [2, 3] }],
      },
      {
        name: 'strings', versions: ['1'], platform: 'onnxruntime_onnx',
        inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [-1, -1] }], outputs: [{ name: 'OUTPUT0', datatype: 'BYTES', shape: [-1, -1] }],
      },
    ],
  },
  {
    name: 'metadata of an unknown model',
    run: (t) => t.metadata('nope'),
    error: { code: 'NOT_FOUND', message: "Request for unknown model: 'nope' is not found" },
  },
  {
    name: 'metadata of an unknown version',
    run: (t) => t.metadata('simple', '9'),
    error: { code: 'NOT_FOUND', message: "Request for unknown model: 'simple' version 9 is not found" },
  },
  {
    name: 'config of classifier: the fields the model directory sets',
    run: async (t) => {
      const c = (await t.config('classifier')) as any;
      return {
        name: c.name, platform: c.platform, backend: c.backend, max_batch_size: c.max_batch_size,
        input: c.input.map((i: any) => [i.name, i.data_type, i.dims.map(Number)]),
        output: c.output.map((o: any) => [o.name, o.data_type, o.dims.map(Number), o.label_filename]),
      };
    },
    expect: {
      name: 'classifier', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 8,
      input: [['INPUT0', 'TYPE_FP32', [4]]], output: [['OUTPUT0', 'TYPE_FP32', [4], 'labels.txt']],
    },
  },
  {
    name: 'config of an unknown model',
    run: (t) => t.config('nope'),
    error: { code: 'NOT_FOUND', message: "Request for unknown model: 'nope' is not found" },
  },
  // --- valid inference, one per datatype the examples serve
  {
    name: 'simple: INT32 sum and difference, id echoed, outputs in model order',
    run: (t) => t.infer(simple(A, B, 1, { id: 'req-7' })),
    expect: {
      model_name: 'simple', model_version: '1', id: 'req-7',
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: range(16, (i) => i + 1) },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: range(16, (i) => i - 1) },
      ],
    },
  },
  {
    name: 'simple: batch of 3 at explicit version 1',
    run: (t) => t.infer(simple(range(48), range(48, (i) => 2 * i), 3, { version: '1' })),
    expect: {
      model_name: 'simple', model_version: '1', id: '',
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [3, 16], data: range(48, (i) => 3 * i) },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [3, 16], data: range(48, (i) => (i === 0 ? 0 : -i)) },
      ],
    },
  },
  {
    name: 'simple: only the requested output, in the requested order',
    run: (t) => t.infer(simple(A, B, 1, { outputs: [{ name: 'OUTPUT1' }] })),
    expect: {
      model_name: 'simple', model_version: '1', id: '',
      outputs: [{ name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: range(16, (i) => i - 1) }],
    },
  },
  {
    name: 'identity_fp32: FP32 with a variable dimension, fractional and negative values',
    run: (t) => t.infer(fp32In('identity_fp32', [2, 3], [0.5, -1.25, 3, 1e-3, 65504, -0]) ),
    expect: {
      model_name: 'identity_fp32', model_version: '1', id: '',
      outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [2, 3], data: [0.5, -1.25, 3, Math.fround(1e-3), 65504, -0] }],
    },
  },
  {
    name: 'nobatch: FP32 [2,3] without a batch dimension, doubled',
    run: (t) => t.infer(fp32In('nobatch', [2, 3], [1, 2, 3, 4, 5, 6.5])),
    expect: {
      model_name: 'nobatch', model_version: '1', id: '',
      outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [2, 3], data: [2, 4, 6, 8, 10, 13] }],
    },
  },
  {
    name: 'strings: BYTES elements (UTF-8, empty) round-trip',
    run: (t) => t.infer({ model: 'strings', inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 3], data: ['a', 'héllo wörld', ''] }] }),
    expect: {
      model_name: 'strings', model_version: '1', id: '',
      outputs: [{ name: 'OUTPUT0', datatype: 'BYTES', shape: [1, 3], data: ['a', 'héllo wörld', ''] }],
    },
  },
  // --- classification extension
  {
    name: 'classifier: top-2 classification strings score:index:label',
    run: (t) => t.infer(fp32In('classifier', [1, 4], [1, 2, 3, 4], { outputs: [{ name: 'OUTPUT0', classification: 2 }] })),
    expect: {
      model_name: 'classifier', model_version: '1', id: '',
      outputs: [{ name: 'OUTPUT0', datatype: 'BYTES', shape: [1, 2], data: ['0.643914:3:fish', '0.236883:2:bird'] }],
    },
  },
  {
    name: 'classifier: batch of 2, top-1 per batch entry',
    run: (t) => t.infer(fp32In('classifier', [2, 4], [4, 3, 2, 1, 0, 0, 5, 0], { outputs: [{ name: 'OUTPUT0', classification: 1 }] })),
    expect: {
      model_name: 'classifier', model_version: '1', id: '',
      outputs: [{ name: 'OUTPUT0', datatype: 'BYTES', shape: [2, 1], data: ['0.643914:0:cat', '0.980187:2:bird'] }],
    },
  },
  // --- addressing errors
  {
    name: 'infer on an unknown model',
    run: (t) => t.infer(fp32In('nope', [1, 1], [1])),
    error: { code: 'NOT_FOUND', message: "Request for unknown model: 'nope' is not found" },
  },
  {
    name: 'infer on an unknown version',
    run: (t) => t.infer(simple(A, B, 1, { version: '9' })),
    error: { code: 'NOT_FOUND', message: "Request for unknown model: 'simple' version 9 is not found" },
  },
  {
    name: 'infer with a non-integral version',
    run: (t) => t.infer(simple(A, B, 1, { version: 'x' })),
    error: {
      code: 'INVALID_ARG',
      message: "failed to get model version from specified version string 'x' (details: stoll), version should be an integral value > 0",
    },
    // Triton's HTTP routes only match numeric versions, so the URL itself is not found.
    errorOn: { http: { status: 404, message: 'Not Found' } },
  },
  // --- request validation errors
  {
    name: 'wrong datatype (FP32 for an INT32 input)',
    run: (t) => t.infer({
      model: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: A },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: B },
      ],
    }),
    error: { code: 'INVALID_ARG', message: "inference input 'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'" },
  },
  {
    name: 'wrong shape, with the request id prefix',
    run: (t) => t.infer({
      model: 'simple', id: 'bad-shape',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 8], data: range(8) },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 8], data: range(8) },
      ],
    }),
    error: {
      code: 'INVALID_ARG',
      message: "[request id: bad-shape] unexpected shape for input 'INPUT0' for model 'simple'. Expected [-1,16], got [1,8]. " +
        'NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. ' +
        'If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. ' +
        'See the model configuration docs for more info on max_batch_size.',
    },
  },
  {
    name: 'batch larger than max_batch_size',
    run: (t) => t.infer(simple(range(144), range(144), 9)),
    error: { code: 'INVALID_ARG', message: "inference request batch-size must be <= 8 for 'simple'" },
  },
  {
    name: 'missing input',
    run: (t) => t.infer({ model: 'simple', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: A }] }),
    error: { code: 'INVALID_ARG', message: "expected 2 inputs but got 1 inputs for model 'simple'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s)." },
  },
  {
    name: 'extra input',
    run: (t) => t.infer({
      model: 'identity_fp32',
      inputs: [
        { name: 'INPUT0', datatype: 'FP32', shape: [1, 1], data: [1] },
        { name: 'INPUT1', datatype: 'FP32', shape: [1, 1], data: [1] },
      ],
    }),
    error: { code: 'INVALID_ARG', message: "unexpected inference input 'INPUT1' for model 'identity_fp32'" },
  },
  {
    name: 'unknown output',
    run: (t) => t.infer(fp32In('identity_fp32', [1, 1], [1], { outputs: [{ name: 'NOPE' }] })),
    error: { code: 'INVALID_ARG', message: "unexpected inference output 'NOPE' for model 'identity_fp32'" },
  },
  {
    name: 'classification on a non-classifiable output datatype is refused',
    run: (t) => t.infer({ model: 'strings', inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 1], data: ['x'] }], outputs: [{ name: 'OUTPUT0', classification: 1 }] }),
    error: { code: 'INVALID_ARG', message: 'class result not available for output due to unsupported type \'BYTES\'' },
  },
  // --- repository and statistics
  {
    name: 'repository index lists every served model READY at version 1',
    run: (t) => t.index(),
    expect: ['classifier', 'identity_fp32', 'nobatch', 'repeat_int32', 'simple', 'strings'].map((name) => ({ name, version: '1', state: 'READY' })),
  },
  {
    name: 'statistics counters after known traffic (3 infers of batch 1, 2, 3)',
    run: async (t) => {
      const before = await counters(t, 'identity_fp32');
      for (const batch of [1, 2, 3]) await t.infer(fp32In('identity_fp32', [batch, 2], range(batch * 2)));
      const after = await counters(t, 'identity_fp32');
      return {
        name: after.name, version: after.version,
        inference_count: after.inference_count - before.inference_count,
        execution_count: after.execution_count - before.execution_count,
        success: after.success - before.success,
        fail: after.fail - before.fail,
      };
    },
    expect: { name: 'identity_fp32', version: '1', inference_count: 6, execution_count: 3, success: 3, fail: 0 },
  },
  {
    name: 'statistics of an unknown model',
    run: (t) => t.stats('nope'),
    error: { code: 'INVALID_ARG', message: "requested model 'nope' is not available" },
  },
  // --- decoupled
  {
    name: 'ModelInfer on a decoupled model is refused',
    only: 'grpc',
    run: (t) => t.infer({ model: 'repeat_int32', inputs: [{ name: 'IN', datatype: 'INT32', shape: [2], data: [5, 6] }] }),
    error: { code: 'UNSUPPORTED', message: "ModelInfer RPC doesn't support models with decoupled transaction policy" },
  },
  {
    name: 'streaming a decoupled model: one response per element',
    only: 'grpc',
    run: async (t) => {
      const responses = await t.stream!({ model: 'repeat_int32', id: 's1', inputs: [{ name: 'IN', datatype: 'INT32', shape: [3], data: [7, 8, 9] }] });
      return responses.map((r) => [r.id, ...r.outputs.map((o) => [o.name, o.shape, o.data])]);
    },
    expect: [
      ['s1', ['OUT', [1], [7]], ['IDX', [1], [0]]],
      ['s1', ['OUT', [1], [8]], ['IDX', [1], [1]]],
      ['s1', ['OUT', [1], [9]], ['IDX', [1], [2]]],
    ],
  },
];
