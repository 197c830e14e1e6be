/**
 * The sequence batcher behind a real InferenceServer (loaded from a repository, plug-in record backend):
 * every spec §4.2 error with Triton's text over the in-process API, a sequence and an error over HTTP
 * (`parameters: {sequence_id, sequence_start, sequence_end}`), and over gRPC (typed parameters) against
 * an identity-backend sequence model.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { createInferenceServer } from '../../src/create-server.js';
import { ServerError, type InferenceServer, type InferenceRequestInit } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { inferJson } from '../support/http-harness.js';
import { startGrpc, type GrpcHarness } from '../support/grpc-repo.js';
import { makeRepo } from '../support/temp-repo.js';
import { END, START, int32Bytes, outputValue, seqConfig, writeBackendDir } from './support.js';

const UINT64_CORRID = `
  control_input [ { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] } ]
  state [ { input_name: "ACC_IN" output_name: "ACC_OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]`;
const STRING_CORRID = 'control_input [ { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING } ] } ]';

let server: InferenceServer;
let http: HttpFrontend;
let port: number;
let cleanup: () => void;

before(async () => {
  const repo = makeRepo({
    'seq/config.pbtxt': seqConfig(UINT64_CORRID, { maxBatch: 4 }),
    'seq/1/': null,
    'seq_str/config.pbtxt': seqConfig(STRING_CORRID),
    'seq_str/1/': null,
  });
  const backends = writeBackendDir();
  ({ server } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backends.dir }));
  http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  ({ port } = await http.listen());
  cleanup = () => {
    repo.cleanup();
    backends.cleanup();
  };
});

after(async () => {
  await http.close();
  await server.shutdown(1000);
  cleanup();
});

function init(model: string, correlationId: bigint | string, value: number, extra: Partial<InferenceRequestInit> = {}): InferenceRequestInit {
  const batching = model === 'seq';
  return {
    modelName: model, correlationId,
    inputs: [{ name: 'INPUT', datatype: 'INT32', shape: batching ? [1, 1] : [1], data: int32Bytes(value) }],
    ...extra,
  };
}

async function rejects(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ServerError);
    assert.equal(err.code, 'INVALID_ARG');
    assert.equal(err.message, message);
    return true;
  });
}

test('in-process: a sequence accumulates through the loaded model (state carried, controls injected)', async () => {
  assert.equal(outputValue(await server.infer(init('seq', 5n, 1, { flags: START }))), 1);
  assert.equal(outputValue(await server.infer(init('seq', 5n, 2))), 3);
  const last = await server.infer(init('seq', 5n, 3, { flags: END }));
  assert.equal(outputValue(last), 6);
  assert.deepEqual(last.outputs.map((t) => t.name), ['OUTPUT']);
  assert.equal(outputValue(await server.infer(init('seq_str', 'abc', 9, { flags: START | END }))), 9);
  // Statistics are per client request, with the compute times of the execution that ran it.
  await new Promise((r) => setImmediate(r));
  const stats = server.modelStatistics('seq').model_stats[0] as {
    inference_count: number; execution_count: number;
    inference_stats: { success: { count: number }; compute_infer: { count: number } };
  };
  assert.equal(stats.inference_count, 3);
  assert.equal(stats.execution_count, 3);
  assert.equal(stats.inference_stats.success.count, 3);
  assert.equal(stats.inference_stats.compute_infer.count, 3);
});

test('in-process: every §4.2 error with Triton\'s text', async () => {
  await rejects(server.infer(init('seq', 0n, 1, { flags: START })),
    "inference request to model 'seq' must specify a non-zero or non-empty correlation ID");
  await rejects(server.infer(init('seq_str', '', 1, { flags: START })),
    "inference request to model 'seq_str' must specify a non-zero or non-empty correlation ID");
  await rejects(server.infer(init('seq', 42n, 1)),
    "inference request for sequence 42 to model 'seq' must specify the START flag on the first request of the sequence");
  await rejects(server.infer({
    modelName: 'seq', correlationId: 43n, flags: START,
    inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [2, 1], data: new Uint8Array(8) }],
  }), "inference request to model 'seq' must specify batch-size 1 due to requirements of sequence batcher");
  await rejects(server.infer(init('seq', 'abc', 1, { flags: START })),
    "sequence batching control 'CORRID' data-type is 'BYTES', but model 'seq' expects 'UINT64'");
  await rejects(server.infer(init('seq_str', 7n, 1, { flags: START, id: 'r1' })),
    "[request id: r1] sequence batching control 'CORRID' data-type is 'UINT64', but model 'seq_str' expects 'BYTES'");
});

test('HTTP: sequence_id/sequence_start/sequence_end parameters drive a sequence; a missing START is a 400 with Triton\'s text', async () => {
  const body = (value: number, parameters: Record<string, unknown>) => ({
    inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [value] }], parameters,
  });
  const values: number[] = [];
  for (const [value, parameters] of [
    [10, { sequence_id: 77, sequence_start: true }],
    [20, { sequence_id: 77 }],
    [30, { sequence_id: 77, sequence_start: false, sequence_end: true }],
  ] as const) {
    const res = await inferJson(port, 'seq', body(value, parameters));
    assert.equal(res.status, 200, res.text);
    const json = JSON.parse(res.text) as { outputs: { name: string; data: number[] }[] };
    assert.deepEqual(json.outputs.map((o) => o.name), ['OUTPUT']);
    values.push(json.outputs[0]!.data[0]!);
  }
  assert.deepEqual(values, [10, 30, 60]);
  const res = await inferJson(port, 'seq', body(1, { sequence_id: 77, sequence_start: false, sequence_end: false }));
  assert.equal(res.status, 400);
  assert.deepEqual(JSON.parse(res.text), {
    error: "inference request for sequence 77 to model 'seq' must specify the START flag on the first request of the sequence",
  });
  const str = await inferJson(port, 'seq', body(1, { sequence_id: 'abc', sequence_start: true }));
  assert.equal(str.status, 400);
  assert.deepEqual(JSON.parse(str.text), { error: "sequence batching control 'CORRID' data-type is 'BYTES', but model 'seq' expects 'UINT64'" });
});

test('gRPC: typed sequence parameters; errors are INVALID_ARGUMENT with Triton\'s text', async () => {
  const repo = makeRepo({
    'seq_identity/config.pbtxt': [
      'backend: "identity"', 'max_batch_size: 2',
      'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
      'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
      'instance_group [ { count: 1 kind: KIND_CPU } ]',
      `sequence_batching { ${UINT64_CORRID.replace(/state \[.*\]/s, '')} }`,
    ].join('\n'),
    'seq_identity/1/': null,
  });
  let h: GrpcHarness | undefined;
  try {
    h = await startGrpc([repo.dir]);
    const request = (parameters: Record<string, unknown>) => ({
      model_name: 'seq_identity',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
      parameters,
    });
    const ok = await h.client.call('ModelInfer', request({ sequence_id: { int64_param: 9 }, sequence_start: { bool_param: true } }));
    assert.deepEqual(ok.outputs.map((o: { name: string }) => o.name), ['OUTPUT0']);
    const cases: [Record<string, unknown>, string][] = [
      [{ sequence_id: { int64_param: 10 } },
        "inference request for sequence 10 to model 'seq_identity' must specify the START flag on the first request of the sequence"],
      [{ sequence_start: { bool_param: true } },
        "inference request to model 'seq_identity' must specify a non-zero or non-empty correlation ID"],
      [{ sequence_id: { string_param: 'x' }, sequence_start: { bool_param: true } },
        "sequence batching control 'CORRID' data-type is 'BYTES', but model 'seq_identity' expects 'UINT64'"],
    ];
    for (const [parameters, details] of cases) {
      await assert.rejects(h.client.call('ModelInfer', request(parameters)), (err: { code: number; details: string }) => {
        assert.equal(err.details, details);
        assert.equal(err.code, status.INVALID_ARGUMENT);
        return true;
      });
    }
    await h.client.call('ModelInfer', request({ sequence_id: { int64_param: 9 }, sequence_end: { bool_param: true } }));
  } finally {
    await h?.close();
    repo.cleanup();
  }
});
