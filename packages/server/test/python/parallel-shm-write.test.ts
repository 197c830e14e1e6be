/**
 * Issue 15: a large batch body goes into the stub's shared region in parallel ranges on libuv's pool
 * (backends/python/shm-body-write.ts) on machines with cores to spare. This machine may have 2 cores, so
 * INFERD_SHM_WRITE_THREADS forces the pool path. Checked: the bytes land exactly (odd sizes, ranges that
 * cross buffer boundaries, short writes resumed), a stopped write reports failure, and a real stub answers
 * each request of a 10 MB batch with its own rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PARALLEL_MIN_BYTES, SHM_WRITE_THREADS_ENV, shmWriteThreads, writeBody,
} from '../../src/backends/python/shm-body-write.js';
import { startPython } from './support.js';

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 12)) & 255;
  return out;
}

async function written(threads: number, sizes: readonly number[], at: number): Promise<{ ok: boolean; same: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-shm-write-'));
  const fd = openSync(join(dir, 'f'), 'w+');
  try {
    const buffers = sizes.map((n, i) => pattern(n, i));
    const body = sizes.reduce((a, b) => a + b, 0);
    const ok = await new Promise<boolean>((resolve) => writeBody({ fd, buffers, body, at, sliceBytes: 1 << 20, threads, stopped: () => false }, resolve));
    const back = Buffer.alloc(body);
    let got = 0;
    while (got < body) got += readSync(fd, back, got, body - got, at + got);
    return { ok, same: Buffer.compare(back, Buffer.concat(buffers)) === 0 };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a large body written by pool threads lands byte for byte, odd sizes and offsets included', async () => {
  // 9 buffers, none page-sized, ~10.5 MB in all: ranges start and end inside buffers.
  const sizes = [1_000_001, 3_333_333, 17, 2_500_000, 999, 1_234_567, 777_777, 1, 1_600_000];
  for (const threads of [1, 3, 4, 16]) {
    const r = await written(threads, sizes, 12_345);
    assert.deepEqual(r, { ok: true, same: true }, `threads ${threads}`);
  }
  // Below PARALLEL_MIN_BYTES the main thread writes it (in 1 MiB turns here).
  assert.deepEqual(await written(4, [PARALLEL_MIN_BYTES - 1], 0), { ok: true, same: true });
});

test('a write whose stub went away reports failure; the thread count follows the environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-shm-write-'));
  const fd = openSync(join(dir, 'f'), 'w+');
  try {
    const buffers = [pattern(8 << 20, 1)];
    const ok = await new Promise<boolean>((resolve) => writeBody({ fd, buffers, body: 8 << 20, at: 0, sliceBytes: 8 << 20, threads: 4, stopped: () => true }, resolve));
    assert.equal(ok, false);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(shmWriteThreads({ [SHM_WRITE_THREADS_ENV]: '0' }), 0);
  assert.equal(shmWriteThreads({ [SHM_WRITE_THREADS_ENV]: '6' }), 6);
  assert.equal(shmWriteThreads({ [SHM_WRITE_THREADS_ENV]: 'many' }), 0);
});

const DOUBLE_PY = `
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        out = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "IN").as_numpy()
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", (x * 2).astype(np.float32))]))
        return out
`;
const CONFIG = 'backend: "python"\nmax_batch_size: 8\n' +
  'input [{ name: "IN" data_type: TYPE_FP32 dims: [-1] }]\noutput [{ name: "OUT" data_type: TYPE_FP32 dims: [-1] }]\n' +
  'instance_group [{ count: 1 kind: KIND_CPU }]\ndynamic_batching { max_queue_delay_microseconds: 200000 preferred_batch_size: [8] }\n';

test('a 10 MB batch written by pool threads reaches the stub: every request gets its own rows back', { timeout: 60_000 }, async () => {
  const before = process.env[SHM_WRITE_THREADS_ENV];
  process.env[SHM_WRITE_THREADS_ENV] = '4';
  const h = await startPython({ 'double/config.pbtxt': CONFIG, 'double/1/model.py': DOUBLE_PY });
  try {
    const floats = 327_681; // 1.25 MiB + 4 bytes per request: 8 of them pass PARALLEL_MIN_BYTES together
    const inputs = Array.from({ length: 8 }, (_, k) => Float32Array.from({ length: floats }, (_, i) => k * 1000 + (i % 997)));
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(inputs.map((x, k) => h.server.infer({
        modelName: 'double', id: `r${k}`, inputs: [{ name: 'IN', datatype: 'FP32', shape: [1, floats], data: new Uint8Array(x.buffer.slice(0)) }],
      })));
      replies.forEach((r, k) => {
        const t = r.outputs[0]!;
        const y = new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
        assert.equal(y.length, floats);
        for (let i = 0; i < floats; i += 4099) assert.equal(y[i], 2 * inputs[k]![i]!, `request ${k}, element ${i}, round ${round}`);
        assert.equal(y[floats - 1], 2 * inputs[k]![floats - 1]!);
      });
    }
    const stats = await h.server.modelStatistics('double');
    const s = stats.model_stats[0]!;
    assert.ok(s.inference_count / s.execution_count > 1, `requests were batched (${s.inference_count} in ${s.execution_count})`);
  } finally {
    await h.close();
    if (before === undefined) delete process.env[SHM_WRITE_THREADS_ENV];
    else process.env[SHM_WRITE_THREADS_ENV] = before;
  }
});
