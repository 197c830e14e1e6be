import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { examplesDir, int32, readInt32, simpleModel, startServer } from './support.js';

const a = Array.from({ length: 16 }, (_, i) => i);
const b = Array.from({ length: 16 }, () => 3);

function inputs(batch = 1) {
  return [
    { name: 'INPUT0', datatype: 'INT32' as const, shape: [batch, 16], data: int32(Array.from({ length: batch }, () => a).flat()) },
    { name: 'INPUT1', datatype: 'INT32' as const, shape: [batch, 16], data: int32(Array.from({ length: batch }, () => b).flat()) },
  ];
}

test('examples/models/ensemble_add_sub: two ONNX steps in a line, id and requested outputs kept', async () => {
  const s = await startServer({
    ...simpleModel(),
    'ensemble_add_sub/config.pbtxt': readFileSync(`${examplesDir}/ensemble_add_sub/config.pbtxt`, 'utf8'),
    'ensemble_add_sub/1/': null,
  });
  try {
    assert.deepEqual(s.failed, []);
    assert.deepEqual(s.server.repositoryIndex().map((e) => `${e.name}:${e.version}:${e.state}`), [
      'ensemble_add_sub:1:READY', 'simple:1:READY',
    ]);
    const out = await s.server.infer({ modelName: 'ensemble_add_sub', id: 'r1', inputs: inputs(2) });
    assert.equal(out.id, 'r1');
    assert.equal(out.modelName, 'ensemble_add_sub');
    assert.deepEqual(out.outputs.map((t) => [t.name, t.datatype, t.shape]), [
      ['OUTPUT0', 'INT32', [2, 16]], ['OUTPUT1', 'INT32', [2, 16]],
    ]);
    assert.deepEqual(readInt32(out.outputs[0]!.data), [...a, ...a].map((x) => 2 * x));
    assert.deepEqual(readInt32(out.outputs[1]!.data), [...b, ...b].map((x) => 2 * x));
    const only = await s.server.infer({ modelName: 'ensemble_add_sub', inputs: inputs(), outputs: [{ name: 'OUTPUT1' }] });
    assert.deepEqual(only.outputs.map((t) => t.name), ['OUTPUT1']);
    const meta = s.server.modelMetadata('ensemble_add_sub');
    assert.equal(meta.platform, 'ensemble');
    const config = s.server.modelConfig('ensemble_add_sub') as { instance_group?: unknown[]; model_transaction_policy?: unknown };
    assert.deepEqual(config.model_transaction_policy, { decoupled: false });
  } finally {
    await s.close();
  }
});
