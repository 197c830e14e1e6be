import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createInferenceServer, ServerError, type InferenceServer } from '../../src/index.js';
import { fp32, identityConfig, makeRepo, readFp32 } from '../support/temp-repo.js';

const backendsDir = fileURLToPath(new URL('../../../../examples/backends', import.meta.url));

async function withServer(
  files: Parameters<typeof makeRepo>[0],
  opts: Partial<Parameters<typeof createInferenceServer>[0]>,
  fn: (server: InferenceServer, failed: readonly string[]) => Promise<void>,
): Promise<void> {
  const repo = makeRepo(files);
  try {
    const { server, failedModels } = await createInferenceServer({ modelRepository: repo.dir, exitOnError: false, ...opts });
    try {
      await fn(server, failedModels);
    } finally {
      await server.shutdown();
    }
  } finally {
    repo.cleanup();
  }
}

test('version policies pick the versions Triton would, and only numeric dirs count', async () => {
  await withServer(
    {
      'latest/config.pbtxt': identityConfig(), 'latest/1/': null, 'latest/2/': null, 'latest/10/': null, 'latest/03/': null, 'latest/x/': null,
      'two/config.pbtxt': identityConfig('version_policy: { latest: { num_versions: 2 } }'), 'two/1/': null, 'two/2/': null, 'two/3/': null,
      'all/config.pbtxt': identityConfig('version_policy: { all: {} }'), 'all/1/': null, 'all/2/': null,
      'pick/config.pbtxt': identityConfig('version_policy: { specific: { versions: [1, 3] } }'), 'pick/1/': null, 'pick/2/': null, 'pick/3/': null,
    },
    {},
    async (server) => {
      const ready = server.repositoryIndex(true).map((e) => `${e.name}:${e.version}`);
      assert.deepEqual(ready, ['all:1', 'all:2', 'latest:10', 'pick:1', 'pick:3', 'two:2', 'two:3']);
      assert.deepEqual(server.modelMetadata('two').versions, ['2', '3']);
      assert.deepEqual(server.modelMetadata('latest', '10').versions, ['10']);
      assert.throws(() => server.modelMetadata('latest', '2'), (e: unknown) =>
        e instanceof ServerError && e.code === 'NOT_FOUND' && e.message === "Request for unknown model: 'latest' version 2 is not found");
    },
  );
});

test('a broken model is UNAVAILABLE with its reason and does not take the others down', async () => {
  await withServer(
    {
      'good/config.pbtxt': identityConfig(), 'good/1/': null,
      'badcfg/config.pbtxt': 'max_batch_size: 8\nbogus_field: 1\n', 'badcfg/1/': null,
      'nobackend/config.pbtxt': identityConfig().replace('"identity"', '"no_such_backend"'), 'nobackend/1/': null,
      'noversion/config.pbtxt': identityConfig(),
    },
    {},
    async (server, failed) => {
      assert.deepEqual(failed, ['badcfg', 'nobackend', 'noversion']);
      assert.equal(server.ready(), false, 'strict readiness: not every model is ready');
      const index = server.repositoryIndex();
      const byName = new Map(index.map((e) => [e.name, e]));
      assert.equal(byName.get('good')?.state, 'READY');
      assert.equal(byName.get('badcfg')?.state, 'UNAVAILABLE');
      assert.match(byName.get('badcfg')?.reason ?? '', /config\.pbtxt:2:1: .*bogus_field/);
      assert.match(byName.get('nobackend')?.reason ?? '', /no_such_backend/);
      assert.equal(byName.get('noversion')?.reason, "at least one version must be available under the version policy of model 'noversion'");
      const out = await server.infer({ modelName: 'good', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2], data: fp32([1, 2]) }] });
      assert.deepEqual(readFp32(out.outputs[0]!.data), [1, 2]);
      assert.throws(() => server.modelMetadata('badcfg'), (e: unknown) =>
        e instanceof ServerError && e.code === 'NOT_FOUND' && e.message === "Request for unknown model: 'badcfg' has no available versions");
    },
  );
});

test('exitOnError (the default) rejects start-up when a model fails', async () => {
  const repo = makeRepo({ 'bad/config.pbtxt': 'nonsense', 'bad/1/': null, 'good/config.pbtxt': identityConfig(), 'good/1/': null });
  try {
    await assert.rejects(createInferenceServer({ modelRepository: repo.dir }), /failed to load all models: bad/);
  } finally {
    repo.cleanup();
  }
});

test('a model in two repositories is an error for that model only', async () => {
  const a = makeRepo({ 'dup/config.pbtxt': identityConfig(), 'dup/1/': null, 'solo/config.pbtxt': identityConfig(), 'solo/1/': null });
  const b = makeRepo({ 'dup/config.pbtxt': identityConfig(), 'dup/1/': null });
  try {
    const { server, failedModels } = await createInferenceServer({ modelRepository: [a.dir, b.dir], exitOnError: false });
    assert.deepEqual(failedModels, ['dup']);
    const dup = server.repositoryIndex().find((e) => e.name === 'dup');
    assert.equal(dup?.state, 'UNAVAILABLE');
    assert.match(dup?.reason ?? '', /multiple model repositories/);
    assert.equal(await server.modelReady('solo'), true);
    await server.shutdown();
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('a plug-in backend is loaded from --backend-directory and uses its config parameters', async () => {
  const config = identityConfig('parameters: { key: "scale" value: { string_value: "2.5" } }').replace('"identity"', '"scale"');
  await withServer({ 'scaled/config.pbtxt': config, 'scaled/1/': null }, { backendDirectory: backendsDir }, async (server, failed) => {
    assert.deepEqual(failed, []);
    const out = await server.infer({ modelName: 'scaled', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data: fp32([1, -2, 4]) }] });
    assert.deepEqual(readFp32(out.outputs[0]!.data), [2.5, -5, 10]);
    assert.deepEqual(out.outputs[0]!.shape, [1, 3]);
  });
  // Without the directory the same model fails with a clear reason.
  await withServer({ 'scaled/config.pbtxt': config, 'scaled/1/': null }, {}, async (server, failed) => {
    assert.deepEqual(failed, ['scaled']);
    assert.match(server.repositoryIndex()[0]?.reason ?? '', /unable to find backend 'scale'/);
  });
});

test('--model-config-name prefers configs/<name>.pbtxt; label files feed classification', async () => {
  await withServer(
    {
      'm/config.pbtxt': identityConfig('', '[ 3 ]'),
      'm/configs/small.pbtxt': identityConfig('', '[ 3 ]', 2).replace('OUTPUT0" data_type: TYPE_FP32 dims: [ 3 ]', 'OUTPUT0" data_type: TYPE_FP32 dims: [ 3 ] label_filename: "labels.txt"'),
      'm/labels.txt': 'cat\ndog\n\n',
      'm/1/': null,
    },
    { modelConfigName: 'small' },
    async (server) => {
      assert.equal((server.modelConfig('m') as { max_batch_size: number }).max_batch_size, 2);
      const out = await server.infer({
        modelName: 'm',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data: fp32([0.5, 0.25, 0.75]) }],
        outputs: [{ name: 'OUTPUT0', classification: 3 }],
      });
      const t = out.outputs[0]!;
      assert.equal(t.datatype, 'BYTES');
      assert.deepEqual(t.shape, [1, 3]);
      const { decodeBytesElements } = await import('@inferd/protocol');
      const strings = decodeBytesElements(t.data).map((b) => Buffer.from(b).toString());
      // index 2 has an empty label line: no label is appended.
      assert.deepEqual(strings, ['0.750000:2', '0.500000:0:cat', '0.250000:1:dog']);
    },
  );
});

test('shutdown drains: an in-flight request finishes, later ones are refused, models end UNAVAILABLE/unloaded', async () => {
  await withServer({ 'good/config.pbtxt': identityConfig(), 'good/1/': null }, {}, async (server) => {
    const pending = server.infer({ modelName: 'good', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], data: fp32([7]) }] });
    const stopping = server.shutdown();
    assert.throws(
      () => server.inferStream({ modelName: 'good', inputs: [] }, () => {}),
      (e: unknown) => e instanceof ServerError && e.code === 'UNAVAILABLE',
    );
    assert.deepEqual(readFp32((await pending).outputs[0]!.data), [7]);
    await stopping;
    assert.equal(server.live(), false);
    assert.deepEqual(server.repositoryIndex(), [{ name: 'good', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' }]);
  });
});

test('auto-complete disabled: platform-only ONNX configs still load, a config-less model is refused', async () => {
  const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));
  const { server, failedModels } = await createInferenceServer({ modelRepository: examples, autoComplete: false, exitOnError: false });
  try {
    assert.deepEqual(failedModels, ['autocomplete']);
    const cfg = server.modelConfig('simple') as { backend: string; platform: string };
    assert.equal(cfg.platform, 'onnxruntime_onnx');
    assert.equal(cfg.backend, 'onnxruntime');
    assert.match(server.repositoryIndex().find((e) => e.name === 'autocomplete')?.reason ?? '', /auto-complete is disabled/);
  } finally {
    await server.shutdown();
  }
});

test('the config is validated before the version directories (Triton): a bad config without a version dir reports the config error', async () => {
  const dupIo = identityConfig().replace('input [ {', 'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] }, {');
  await withServer(
    {
      // ValidateModelConfig problems, no version directory at all.
      'prefsize/config.pbtxt': identityConfig('dynamic_batching { preferred_batch_size: [ 16 ] }'),
      'negbatch/config.pbtxt': identityConfig('', '[ -1 ]', -1),
      'kindauto/config.pbtxt': identityConfig('instance_group [ { kind: KIND_CPU gpus: [ 0 ] } ]'),
      // An I/O problem without a version: reported as the config error only when auto-complete is off.
      'noio/config.pbtxt': dupIo,
      // A valid config still says that no version is available.
      'fine/config.pbtxt': identityConfig(),
    },
    { autoComplete: false },
    async (server, failed) => {
      assert.deepEqual(failed, ['fine', 'kindauto', 'negbatch', 'noio', 'prefsize']);
      const reason = new Map(server.repositoryIndex().map((e) => [e.name, e.reason]));
      assert.equal(reason.get('prefsize'), 'dynamic batching preferred size must be <= max batch size for prefsize');
      assert.equal(reason.get('negbatch'), "'max_batch_size' must be non-negative value for negbatch");
      assert.match(reason.get('kindauto') ?? '', /^instance group \S+ of model kindauto has kind KIND_CPU but specifies one or more GPUs$/);
      assert.equal(reason.get('noio'), "model input 'INPUT0' is specified more than once for noio");
      assert.equal(reason.get('fine'), "at least one version must be available under the version policy of model 'fine'");
    },
  );
  await withServer({ 'noio/config.pbtxt': dupIo }, { autoComplete: true }, async (server) => {
    assert.equal(server.repositoryIndex()[0]?.reason, "at least one version must be available under the version policy of model 'noio'");
  });
});
