import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements, type DataType } from '@inferd/protocol';
import backend from '../../src/backends/onnxruntime/index.js';
import type { ConfigDataType, ModelConfig } from '../../src/config/types.js';
import type { Tensor } from '../../src/core/index.js';
import { GraphBuilder, type ElemType } from '../../../../scripts/onnx-builder.js';
import { bytesOf, instanceContext, modelOnDisk, output, request, specOf } from './helpers.js';

/** Every datatype ORT serves, with values at the edges of each range. Two rows per case. */
const CASES: readonly { dt: DataType; onnx: ElemType; rows: [Uint8Array, Uint8Array] }[] = [
  { dt: 'BOOL', onnx: 'BOOL', rows: [new Uint8Array([1, 0]), new Uint8Array([0, 1])] },
  { dt: 'INT8', onnx: 'INT8', rows: [bytesOf(new Int8Array([-128, 127])), bytesOf(new Int8Array([0, -1]))] },
  { dt: 'UINT8', onnx: 'UINT8', rows: [new Uint8Array([0, 255]), new Uint8Array([7, 128])] },
  { dt: 'INT16', onnx: 'INT16', rows: [bytesOf(new Int16Array([-32768, 32767])), bytesOf(new Int16Array([1, -2]))] },
  { dt: 'UINT16', onnx: 'UINT16', rows: [bytesOf(new Uint16Array([0, 65535])), bytesOf(new Uint16Array([3, 4]))] },
  { dt: 'INT32', onnx: 'INT32', rows: [bytesOf(new Int32Array([-(2 ** 31), 2 ** 31 - 1])), bytesOf(new Int32Array([5, 6]))] },
  { dt: 'UINT32', onnx: 'UINT32', rows: [bytesOf(new Uint32Array([0, 2 ** 32 - 1])), bytesOf(new Uint32Array([9, 10]))] },
  { dt: 'INT64', onnx: 'INT64', rows: [bytesOf(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])), bytesOf(new BigInt64Array([1n, -1n]))] },
  { dt: 'UINT64', onnx: 'UINT64', rows: [bytesOf(new BigUint64Array([0n, 2n ** 64n - 1n])), bytesOf(new BigUint64Array([2n ** 53n + 1n, 3n]))] },
  // FP16 as raw halves: 1.0, -2.0, 65504 (max), NaN.
  { dt: 'FP16', onnx: 'FLOAT16', rows: [bytesOf(new Uint16Array([0x3c00, 0xc000])), bytesOf(new Uint16Array([0x7bff, 0x7e00]))] },
  { dt: 'FP32', onnx: 'FLOAT', rows: [bytesOf(new Float32Array([1.5, -0])), bytesOf(new Float32Array([3.4e38, 1e-45]))] },
  { dt: 'FP64', onnx: 'DOUBLE', rows: [bytesOf(new Float64Array([Math.PI, -1e308])), bytesOf(new Float64Array([5e-324, 0]))] },
  { dt: 'BYTES', onnx: 'STRING', rows: [encodeBytesElements(['hello', '']), encodeBytesElements(['héllo wörld ✓', 'x'.repeat(300)])] },
];

const configType = (dt: DataType): ConfigDataType => (dt === 'BYTES' ? 'TYPE_STRING' : (`TYPE_${dt}` as ConfigDataType));

test('every datatype round-trips through a real ORT Identity, batched and split per request', async () => {
  const g = new GraphBuilder('all_types');
  for (const c of CASES) {
    g.input(`IN_${c.dt}`, c.onnx, ['batch', 2]).node('Identity', [`IN_${c.dt}`], [`OUT_${c.dt}`]).output(`OUT_${c.dt}`, c.onnx, ['batch', 2]);
  }
  const config: ModelConfig = {
    name: 'all_types', max_batch_size: 8,
    input: CASES.map((c) => ({ name: `IN_${c.dt}`, data_type: configType(c.dt), dims: [2] })),
    output: CASES.map((c) => ({ name: `OUT_${c.dt}`, data_type: configType(c.dt), dims: [2] })),
  };
  const ctx = modelOnDisk('all_types', g.toBytes(), config);
  const model = await backend.createModel(ctx);
  const instance = await model.createInstance(instanceContext(config));
  try {
    const spec = specOf(config);
    const tensors = (row: 0 | 1): Tensor[] =>
      CASES.map((c) => ({ name: `IN_${c.dt}`, datatype: c.dt, shape: [1, 2], data: c.rows[row] }));
    const first = request(spec, tensors(0));
    const second = request(spec, tensors(1));
    const alone = request(spec, tensors(1));
    await instance.execute([first.request, second.request]);
    await instance.execute([alone.request]);
    for (const c of CASES) {
      for (const [collected, row] of [[first, 0], [second, 1], [alone, 1]] as const) {
        const t = output(collected, `OUT_${c.dt}`);
        assert.equal(t.datatype, c.dt);
        assert.deepEqual(t.shape, [1, 2], c.dt);
        assert.deepEqual([...t.data], [...c.rows[row]], `${c.dt} row ${row}`);
      }
    }
    assert.ok(first.request.timestamps.computeInputEnd > 0);
    assert.ok(first.request.timestamps.computeOutputStart >= first.request.timestamps.computeInputEnd);
  } finally {
    await instance.dispose();
    ctx.cleanup();
  }
});
