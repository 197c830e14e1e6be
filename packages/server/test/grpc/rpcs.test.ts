/**
 * Every non-inference RPC of GRPCInferenceService and grpc.health.v1.Health over a real gRPC
 * connection, against a real InferenceServer on a temp repository plus examples/models.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_DIR } from '@inferd/protocol';
import { SERVER_EXTENSIONS, SERVER_VERSION } from '../../src/core/index.js';
import { startGrpc, type GrpcHarness } from '../support/grpc-repo.js';

const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));
let h: GrpcHarness;

before(async () => {
  h = await startGrpc([examples]);
});
after(async () => {
  await h.close();
});

test('listen logs the start line', () => {
  assert.deepEqual(h.logs, [`info: Started GRPCInferenceService at 127.0.0.1:${h.port}`]);
});

test('ServerLive, ServerReady, health Check', async () => {
  assert.deepEqual(await h.client.call('ServerLive', {}), { live: true });
  assert.deepEqual(await h.client.call('ServerReady', {}), { ready: true });
  assert.deepEqual(await h.client.checkHealth(), { status: 'SERVING' });
  assert.deepEqual(await h.client.checkHealth('inference.GRPCInferenceService'), { status: 'SERVING' });
});

test('ServerMetadata', async () => {
  assert.deepEqual(await h.client.call('ServerMetadata', {}), {
    name: 'triton', version: SERVER_VERSION, extensions: [...SERVER_EXTENSIONS],
  });
});

test('ModelReady: ready; an unknown model or version is OK with ready=false (Triton); a bad version string is refused', async () => {
  assert.deepEqual(await h.client.call('ModelReady', { name: 'simple' }), { ready: true });
  assert.deepEqual(await h.client.call('ModelReady', { name: 'simple', version: '1' }), { ready: true });
  assert.deepEqual(await h.client.call('ModelReady', { name: 'nope' }), { ready: false });
  assert.deepEqual(await h.client.call('ModelReady', { name: 'simple', version: '7' }), { ready: false });
  assert.deepEqual(await h.client.call('ModelReady', { name: '' }), { ready: false });
  await assert.rejects(h.client.call('ModelReady', { name: 'simple', version: 'x' }), { code: status.INVALID_ARGUMENT });
});

test('ModelMetadata (int64 shape as decimal strings)', async () => {
  assert.deepEqual(await h.client.call('ModelMetadata', { name: 'simple' }), {
    name: 'simple', versions: ['1'], platform: 'onnxruntime_onnx',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: ['-1', '16'] }, { name: 'INPUT1', datatype: 'INT32', shape: ['-1', '16'] }],
    outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: ['-1', '16'] }, { name: 'OUTPUT1', datatype: 'INT32', shape: ['-1', '16'] }],
  });
  await assert.rejects(h.client.call('ModelMetadata', { name: 'nope' }), {
    code: status.NOT_FOUND, details: "Request for unknown model: 'nope' is not found",
  });
});

test('ModelConfig is the binary message of the /config JSON (every model, raw bytes decoded independently)', async () => {
  const root = new protobuf.Root();
  root.resolvePath = (_o, t) => join(PROTO_DIR, t);
  root.loadSync('grpc_service.proto', { keepCase: true });
  const ConfigResponse = root.lookupType('inference.ModelConfigResponse');
  for (const name of ['simple', 'classifier', 'strings', 'text_direction', 'repeat', 'types', 'echo_fp32', 'identity_fp32', 'nobatch']) {
    const res = await h.client.call('ModelConfig', { name });
    // Re-encode what the client decoded and read it back as JSON with int64 as numbers: it must be
    // the server's /config JSON (minus its int64-as-string quirks, absent here).
    const bytes = ConfigResponse.encode(ConfigResponse.fromObject(res)).finish();
    const json = ConfigResponse.toObject(ConfigResponse.decode(bytes), { longs: Number, enums: String, defaults: true, arrays: true, objects: true });
    const expected = h.server.modelConfig(name);
    const pick = (o: Record<string, unknown>) => JSON.parse(JSON.stringify(o, (_k, v) => (v === null ? undefined : v)));
    for (const key of Object.keys(expected)) {
      assert.deepEqual(pick(json.config)[key], (expected as Record<string, unknown>)[key], `${name}.${key}`);
    }
  }
  const repeat = await h.client.call('ModelConfig', { name: 'repeat', version: '1' });
  assert.equal(repeat.config.model_transaction_policy.decoupled, true);
  assert.equal(repeat.config.version_policy.policy_choice, 'latest');
  await assert.rejects(h.client.call('ModelConfig', { name: 'nope' }), {
    code: status.NOT_FOUND, details: "Request for unknown model: 'nope' is not found",
  });
});

test('ModelStatistics: counts after inferences, all models, errors', async () => {
  for (let i = 0; i < 2; i++) {
    await h.client.call('ModelInfer', {
      model_name: 'echo_fp32', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [3, 1] }],
      raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3]).buffer)],
    });
  }
  const res = await h.client.call('ModelStatistics', { name: 'echo_fp32' });
  assert.equal(res.model_stats.length, 1);
  const s = res.model_stats[0];
  assert.equal(s.name, 'echo_fp32');
  assert.equal(s.version, '1');
  assert.equal(s.inference_count, '6');
  assert.equal(s.execution_count, '2');
  assert.equal(s.inference_stats.success.count, '2');
  assert.equal(s.inference_stats.fail.count, '0');
  assert.ok(Number(s.inference_stats.success.ns) > 0);
  assert.ok(Number(s.last_inference) > 1_600_000_000_000);
  assert.deepEqual(s.batch_stats.map((b: { batch_size: string; compute_infer: { count: string } }) => [b.batch_size, b.compute_infer.count]), [['3', '2']]);
  assert.deepEqual(s.response_stats, {});
  const all = await h.client.call('ModelStatistics', {});
  assert.deepEqual(
    all.model_stats.map((m: { name: string }) => m.name),
    h.server.modelStatistics().model_stats.map((m) => m.name),
  );
  await assert.rejects(h.client.call('ModelStatistics', { name: 'nope' }), {
    code: status.INVALID_ARGUMENT, details: "requested model 'nope' is not available",
  });
  await assert.rejects(h.client.call('ModelStatistics', { name: 'simple', version: '9' }), {
    code: status.INVALID_ARGUMENT, details: "requested model version is not available for model 'simple'",
  });
});

test('RepositoryIndex, and load/unload refused in control mode none', async () => {
  const index = await h.client.call('RepositoryIndex', {});
  const names = index.models.map((m: { name: string }) => m.name);
  assert.ok(names.includes('simple') && names.includes('repeat'));
  assert.deepEqual(index.models.find((m: { name: string }) => m.name === 'simple'), { name: 'simple', version: '1', state: 'READY', reason: '' });
  assert.deepEqual((await h.client.call('RepositoryIndex', { ready: true })).models.length, index.models.length);
  const refused = { code: status.UNAVAILABLE, details: 'explicit model load / unload is not allowed if polling is enabled' };
  await assert.rejects(h.client.call('RepositoryModelLoad', { model_name: 'simple' }), refused);
  await assert.rejects(h.client.call('RepositoryModelUnload', { model_name: 'simple', parameters: { unload_dependents: { bool_param: true } } }), refused);
  await assert.rejects(h.client.call('RepositoryModelLoad', { repository_name: 'r', model_name: 'simple' }), {
    code: status.UNIMPLEMENTED, details: "'repository_name' specification is not supported",
  });
  await assert.rejects(h.client.call('RepositoryModelLoad', { model_name: 'simple', parameters: { config: { bool_param: true } } }), {
    code: status.INVALID_ARGUMENT, details: "invalid value type for load parameter 'config', expected string_param.",
  });
  await assert.rejects(h.client.call('RepositoryModelLoad', { model_name: 'simple', parameters: { 'file:1/model.onnx': { string_param: 'x' } } }), {
    code: status.INVALID_ARGUMENT, details: "invalid value type for load parameter 'file:1/model.onnx', expected bytes_param.",
  });
});

test('shared memory RPCs with client shm disabled, system and CUDA alike', async () => {
  const disabled = "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";
  assert.deepEqual(await h.client.call('SystemSharedMemoryStatus', {}), { regions: {} });
  await assert.rejects(h.client.call('SystemSharedMemoryStatus', { name: 'r' }), {
    code: status.NOT_FOUND, details: "Unable to find system shared memory region: 'r'",
  });
  await assert.rejects(h.client.call('SystemSharedMemoryRegister', { name: 'r', key: '/k', byte_size: 64 }), {
    code: status.UNIMPLEMENTED, details: disabled,
  });
  await assert.rejects(h.client.call('SystemSharedMemoryUnregister', {}), { code: status.UNIMPLEMENTED, details: disabled });
  assert.deepEqual(await h.client.call('CudaSharedMemoryStatus', {}), { regions: {} });
  await assert.rejects(h.client.call('CudaSharedMemoryStatus', { name: 'c' }), {
    code: status.NOT_FOUND, details: "Unable to find cuda shared memory region: 'c'",
  });
  await assert.rejects(h.client.call('CudaSharedMemoryRegister', { name: 'c', raw_handle: Buffer.from('h'), device_id: 0, byte_size: 8 }), {
    code: status.UNIMPLEMENTED, details: disabled,
  });
  await assert.rejects(h.client.call('CudaSharedMemoryUnregister', { name: 'c' }), { code: status.UNIMPLEMENTED, details: disabled });
});

test('TraceSetting and LogSettings report the defaults and take updates (createInferenceServer attaches a tracer and its logger)', async () => {
  const trace = {
    settings: {
      trace_level: { value: ['OFF'] }, trace_rate: { value: ['1000'] }, trace_count: { value: ['-1'] },
      log_frequency: { value: ['0'] }, trace_file: { value: [''] }, trace_mode: { value: ['triton'] },
    },
  };
  assert.deepEqual(await h.client.call('TraceSetting', {}), trace);
  assert.deepEqual(await h.client.call('TraceSetting', { model_name: 'simple' }), trace);
  await assert.rejects(h.client.call('TraceSetting', { model_name: 'nope' }), {
    code: status.INVALID_ARGUMENT, details: 'Request for unknown model : nope',
  });
  assert.deepEqual(
    (await h.client.call('TraceSetting', { model_name: 'simple', settings: { trace_rate: { value: ['5'] } } }) as typeof trace)
      .settings.trace_rate,
    { value: ['5'] },
  );
  assert.deepEqual(await h.client.call('TraceSetting', {}), trace, 'a model setting leaves the global one alone');
  assert.deepEqual(await h.client.call('LogSettings', {}), {
    settings: {
      log_file: { string_param: '', parameter_choice: 'string_param' },
      // createInferenceServer's default logger prints warnings and errors only.
      log_info: { bool_param: false, parameter_choice: 'bool_param' },
      log_warning: { bool_param: true, parameter_choice: 'bool_param' },
      log_error: { bool_param: true, parameter_choice: 'bool_param' },
      log_verbose_level: { uint32_param: 0, parameter_choice: 'uint32_param' },
      log_format: { string_param: 'default', parameter_choice: 'string_param' },
    },
  });
  const updated = await h.client.call('LogSettings', { settings: { log_verbose_level: { uint32_param: 2 } } }) as {
    settings: Record<string, unknown>;
  };
  assert.deepEqual(updated.settings.log_verbose_level, { uint32_param: 2, parameter_choice: 'uint32_param' });
  await h.client.call('LogSettings', { settings: { log_verbose_level: { uint32_param: 0 } } });
});
