import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, identityModel } from '../../../../scripts/onnx-builder.js';

test('a generated graph loads in ONNX Runtime with its symbolic and fixed dims', async () => {
  const bytes = new GraphBuilder('ops')
    .input('a', 'FLOAT', ['batch', 3])
    .input('b', 'FLOAT', ['batch', 3])
    .initializer('w', 'FLOAT', [3, 2], [1, 0, 0, 1, 1, 1])
    .node('Add', ['a', 'b'], ['sum'])
    .node('Sub', ['a', 'b'], ['diff'])
    .node('Mul', ['sum', 'diff'], ['prod'])
    .node('MatMul', ['prod', 'w'], ['mm'])
    .node('Softmax', ['mm'], ['soft'], { axis: { int: -1 } })
    .node('Cast', ['mm'], ['mm_i64'], { to: { int: 7 } })
    .output('prod', 'FLOAT', ['batch', 3])
    .output('mm_i64', 'INT64', ['batch', 2])
    .output('soft', 'FLOAT', ['batch', 2])
    .toBytes();
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ['a', 'b']);
  assert.deepEqual(session.outputNames, ['prod', 'mm_i64', 'soft']);
  assert.deepEqual(session.inputMetadata[0], { name: 'a', isTensor: true, type: 'float32', shape: ['batch', 3] });
  const a = new ort.Tensor('float32', new Float32Array([3, 2, 1]), [1, 3]);
  const b = new ort.Tensor('float32', new Float32Array([1, 1, 1]), [1, 3]);
  const out = await session.run({ a, b });
  // (a+b)*(a-b) = a²-b² = [8, 3, 0]; · w = [8+0, 3+0] = [8, 3]
  assert.deepEqual([...(out.prod!.data as Float32Array)], [8, 3, 0]);
  assert.deepEqual([...(out.mm_i64!.data as BigInt64Array)], [8n, 3n]);
  const soft = out.soft!.data as Float32Array;
  assert.ok(Math.abs(soft[0]! - 1 / (1 + Math.exp(-5))) < 1e-6);
  await session.release();
});

test('identity models exist for every element type ORT serves, unknown dims included', async () => {
  const session = await ort.InferenceSession.create(identityModel('UINT64', [null, 2]));
  assert.deepEqual(session.inputMetadata[0], { name: 'INPUT0', isTensor: true, type: 'uint64', shape: ['', 2] });
  const out = await session.run({ INPUT0: new ort.Tensor('uint64', new BigUint64Array([1n, 2n ** 64n - 1n]), [1, 2]) });
  assert.deepEqual([...(out.OUTPUT0!.data as BigUint64Array)], [1n, 2n ** 64n - 1n]);
  await session.release();
});
