/**
 * GPU instances (issue 15 item 2) on a machine without GPUs: a fake nvidia-smi (a real script printing
 * nvidia-smi's CSV) stands for three GPUs, one below the minimum compute capability. Python stubs are
 * real processes; each records its CUDA_VISIBLE_DEVICES and initialize() args in the repository.
 */
import { identityModel } from '../../../../scripts/onnx-builder.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer, type InferenceServer } from '../../src/index.js';
import { GpuDevices, parseNvidiaSmiCsv, visibleGpus } from '../../src/devices/gpus.js';
import { Logger } from '../../src/observability/log.js';
import { fakeNvidiaSmi, type FakeNvidiaSmi } from '../support/fake-nvidia-smi.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';

const UUID = ['GPU-aaaaaaaa-0000-1111-2222-000000000000', 'GPU-bbbbbbbb-0000-1111-2222-000000000001', 'GPU-cccccccc-0000-1111-2222-000000000002'];

/** Writes `<repo>/<model>/seen/<instance>_<device>.json`: the stub's view at initialize(). */
const RECORDING_MODEL = `
import json, os
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def initialize(self, args):
        seen = os.path.join(args["model_repository"], "seen")
        os.makedirs(seen, exist_ok=True)
        name = args["model_instance_name"] + "_" + args["model_instance_device_id"]
        with open(os.path.join(seen, name + ".json"), "w") as f:
            json.dump({"cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"), "kind": args["model_instance_kind"],
                       "device_id": args["model_instance_device_id"], "name": args["model_instance_name"]}, f)

    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([1], np.int32))]) for _ in requests]
`;

const config = (group: string): string => `backend: "python"\nmax_batch_size: 0\n`
  + 'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]\n'
  + group;

interface Seen { cuda_visible_devices: string | null; kind: string; device_id: string; name: string }

function seen(repoDir: string, model: string): Seen[] {
  const dir = join(repoDir, model, 'seen');
  return readdirSync(dir).sort().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Seen);
}

let smi: FakeNvidiaSmi;
before(() => {
  smi = fakeNvidiaSmi([
    { index: 0, uuid: UUID[0]! }, { index: 1, uuid: UUID[1]! }, { index: 2, uuid: UUID[2]!, name: 'Tesla K80', computeCap: '3.7' },
  ]);
});
after(() => smi.cleanup());

async function serve(files: RepoFiles, gpu: { nvidiaSmi: string; minComputeCapability?: number }) {
  const repo = makeRepo(files);
  const logger = new Logger({ info: false, warning: false, error: false });
  const { server } = await createInferenceServer({
    modelRepository: repo.dir, logger, exitOnError: false, gpu, metrics: false, backendConfig: ['python,pin-gpu=true'],
  });
  return {
    server, dir: repo.dir,
    reason: (model: string): string | undefined => server.repositoryIndex().find((r) => r.name === model)?.reason,
    state: (model: string): string | undefined => server.repositoryIndex().find((r) => r.name === model)?.state,
    async close(): Promise<void> {
      await server.shutdown(5000);
      repo.cleanup();
    },
  };
}

test('nvidia-smi CSV: units, [N/A] cells, CUDA_VISIBLE_DEVICES order', () => {
  const rows = parseNvidiaSmiCsv(
    '0, GPU-a, NVIDIA H200, 9.0, 143771, 512, 37, 123.45, 700.00\n1, GPU-b, NVIDIA H200, 9.0, 143771, 0, 0, [N/A], [Not Supported]\n',
  );
  assert.deepEqual(rows[0], {
    index: 0, uuid: 'GPU-a', name: 'NVIDIA H200', computeCapability: 9, memoryTotalBytes: 143771 * 1048576,
    memoryUsedBytes: 512 * 1048576, utilization: 0.37, powerWatts: 123.45, powerLimitWatts: 700,
  });
  assert.ok(Number.isNaN(rows[1]!.powerWatts) && Number.isNaN(rows[1]!.powerLimitWatts));
  assert.deepEqual(visibleGpus(rows, '1,0').map((g) => [g.id, g.uuid]), [[0, 'GPU-b'], [1, 'GPU-a']]);
  assert.deepEqual(visibleGpus(rows, 'GPU-b').map((g) => [g.id, g.uuid]), [[0, 'GPU-b']]);
  // CUDA stops at the first entry that names no device.
  assert.deepEqual(visibleGpus(rows, '0,7,1').map((g) => g.uuid), ['GPU-a']);
  assert.throws(() => parseNvidiaSmiCsv('garbage\n'), /unexpected nvidia-smi line/);
});

test('GpuDevices: the real command through the fake script; a missing executable means no GPUs', async () => {
  const devices = new GpuDevices({ nvidiaSmi: smi.path, visibleDevices: undefined });
  assert.deepEqual((await devices.all()).map((g) => g.uuid), UUID);
  assert.deepEqual((await devices.supported()).map((g) => g.id), [0, 1]);
  assert.deepEqual((await new GpuDevices({ nvidiaSmi: smi.path, minComputeCapability: 3.5, visibleDevices: undefined }).supported()).length, 3);
  assert.deepEqual(await new GpuDevices({ nvidiaSmi: join(smi.path, 'missing'), visibleDevices: undefined }).all(), []);
});

test('KIND_GPU without gpus: count instances on every supported GPU, each stub pinned to its GPU', async () => {
  const s = await serve({
    'all_gpus/config.pbtxt': config('instance_group [ { kind: KIND_GPU count: 2 } ]'), 'all_gpus/1/model.py': RECORDING_MODEL,
    'listed/config.pbtxt': config('instance_group [ { name: "one" kind: KIND_GPU gpus: [ 1 ] } ]'), 'listed/1/model.py': RECORDING_MODEL,
    'auto/config.pbtxt': config(''), 'auto/1/model.py': RECORDING_MODEL,
    'on_model/config.pbtxt': config('instance_group [ { kind: KIND_MODEL } ]'), 'on_model/1/model.py': RECORDING_MODEL,
    // onnxruntime-node runs on the CPU: its KIND_AUTO stays KIND_CPU (Triton's 2 instances) with GPUs present.
    'onnx_auto/config.pbtxt': 'platform: "onnxruntime_onnx"\nmax_batch_size: 4', 'onnx_auto/1/model.onnx': identityModel('FLOAT', ['N', 2]),
  }, { nvidiaSmi: smi.path });
  try {
    for (const m of ['all_gpus', 'listed', 'auto', 'on_model', 'onnx_auto']) assert.equal(s.state(m), 'READY', `${m}: ${s.reason(m) ?? ''}`);
    // Triton's naming: instance c on every GPU is <group>_<c>.
    assert.deepEqual(seen(s.dir, 'all_gpus'), [
      { cuda_visible_devices: UUID[0], kind: 'GPU', device_id: '0', name: 'all_gpus_0_0' },
      { cuda_visible_devices: UUID[1], kind: 'GPU', device_id: '1', name: 'all_gpus_0_0' },
      { cuda_visible_devices: UUID[0], kind: 'GPU', device_id: '0', name: 'all_gpus_0_1' },
      { cuda_visible_devices: UUID[1], kind: 'GPU', device_id: '1', name: 'all_gpus_0_1' },
    ]);
    assert.deepEqual(seen(s.dir, 'listed'), [{ cuda_visible_devices: UUID[1], kind: 'GPU', device_id: '1', name: 'one_0' }]);
    // KIND_AUTO with GPUs present is KIND_GPU on each of them (count 1); /config shows the result.
    assert.deepEqual(seen(s.dir, 'auto').map((x) => [x.kind, x.device_id, x.cuda_visible_devices]), [['GPU', '0', UUID[0]], ['GPU', '1', UUID[1]]]);
    const auto = await s.server.modelConfig('auto');
    assert.deepEqual(auto.instance_group?.map((g) => [g.kind, g.count, g.gpus]), [['KIND_GPU', 1, [0, 1]]]);
    const onnx = await s.server.modelConfig('onnx_auto');
    assert.deepEqual(onnx.instance_group?.map((g) => [g.kind, g.count]), [['KIND_CPU', 2]]);
    // KIND_MODEL: one instance, device 0, no pinning (the model places itself).
    assert.deepEqual(seen(s.dir, 'on_model'), [{ cuda_visible_devices: process.env['CUDA_VISIBLE_DEVICES'] ?? null, kind: 'MODEL', device_id: '0', name: 'on_model_0_0' }]);
  } finally {
    await s.close();
  }
});

test('a GPU below --min-supported-compute-capability: Triton\'s error, and the flag lets it in', async () => {
  const files = { 'old_gpu/config.pbtxt': config('instance_group [ { name: "g" kind: KIND_GPU gpus: [ 2 ] } ]'), 'old_gpu/1/model.py': RECORDING_MODEL };
  const s = await serve(files, { nvidiaSmi: smi.path });
  try {
    assert.equal(s.state('old_gpu'), 'UNAVAILABLE');
    assert.equal(s.reason('old_gpu'), 'instance group g of model old_gpu specifies invalid or unsupported gpu id 2. '
      + 'GPUs with at least the minimum required CUDA compute compatibility of 6.000000 are: 0, 1');
  } finally {
    await s.close();
  }
  const lowered = await serve(files, { nvidiaSmi: smi.path, minComputeCapability: 3.5 });
  try {
    assert.equal(lowered.state('old_gpu'), 'READY', lowered.reason('old_gpu'));
    assert.deepEqual(seen(lowered.dir, 'old_gpu').map((x) => x.cuda_visible_devices), [UUID[2]]);
  } finally {
    await lowered.close();
  }
});

test('no GPUs (no nvidia-smi): KIND_GPU fails as in Triton, KIND_AUTO runs on the CPU', async () => {
  const s = await serve({
    'gpu/config.pbtxt': config('instance_group [ { name: "g" kind: KIND_GPU } ]'), 'gpu/1/model.py': RECORDING_MODEL,
    'gpu_listed/config.pbtxt': config('instance_group [ { name: "g" kind: KIND_GPU gpus: [ 0 ] } ]'), 'gpu_listed/1/model.py': RECORDING_MODEL,
    'auto/config.pbtxt': config(''), 'auto/1/model.py': RECORDING_MODEL,
  }, { nvidiaSmi: join(smi.path, 'not-here') });
  try {
    assert.equal(s.reason('gpu'), 'instance group g of model gpu has kind KIND_GPU but no GPUs are available');
    assert.equal(s.reason('gpu_listed'), 'instance group g of model gpu_listed specifies invalid or unsupported gpu id 0. '
      + 'GPUs with at least the minimum required CUDA compute compatibility of 6.000000 are: ');
    assert.equal(s.state('auto'), 'READY');
    assert.deepEqual(seen(s.dir, 'auto').map((x) => [x.kind, x.device_id]), [['CPU', '0']]);
  } finally {
    await s.close();
  }
});
