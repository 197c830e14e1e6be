/**
 * HTTP bodies of a known length are read into a buffer of their own, and once the Python backend has copied
 * a batch's inputs into the stub's shared region those buffers go back to the spare pool for the next body
 * of that size. Reuse must never show one request another's bytes: many concurrent 600 KB uploads, each
 * written in small pieces so bodies arrive interleaved, through a dynamically batched model, each answered
 * with a checksum of its own bytes; plus a chunked (no Content-Length) body and a client that disconnects
 * halfway through its body.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spareBuffers } from '../../src/core/index.js';
import { request, splitResponse } from '../support/http-harness.js';
import { startPython, type PythonHarness } from './support.js';

const SUM_MODEL = `
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        out = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "X").as_numpy()
            # Weighted sum: a request answered with another's bytes (or a mix) gives another value.
            w = np.arange(1, x.shape[1] + 1, dtype=np.float64)
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("S", (x.astype(np.float64) * w).sum(axis=1))]))
        return out
`;
const N = 150_000; // 600 KB of FP32 per request

let h: PythonHarness;
before(async () => {
  h = await startPython({
    'sum/config.pbtxt': 'backend: "python"\nmax_batch_size: 16\ndynamic_batching { max_queue_delay_microseconds: 2000 }\n' +
      `input [ { name: "X" data_type: TYPE_FP32 dims: [ ${N} ] } ]\noutput [ { name: "S" data_type: TYPE_FP64 dims: [ 1 ] } ]`,
    'sum/1/model.py': SUM_MODEL,
  });
});
after(async () => {
  await h?.close();
});

function values(seed: number): Float32Array {
  return new Float32Array(N).map((_, i) => ((i * 7 + seed * 13) % 101) - 50);
}
function expected(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * (i + 1);
  return s;
}
function body(x: Float32Array): { header: Buffer; full: Buffer } {
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'X', datatype: 'FP32', shape: [1, N], parameters: { binary_data_size: x.byteLength } }],
    outputs: [{ name: 'S', parameters: { binary_data: false } }] }));
  return { header, full: Buffer.concat([header, Buffer.from(x.buffer)]) };
}

/** POSTs `full` in pieces of `piece` bytes, yielding between them, so concurrent bodies interleave. */
function uploadInPieces(full: Buffer, headerLength: number, piece: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: h.httpPort, method: 'POST', path: '/v2/models/sum/infer', agent: false,
      headers: { 'Content-Length': full.byteLength, 'Inference-Header-Content-Length': headerLength } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    let at = 0;
    const next = (): void => {
      if (at >= full.byteLength) {
        req.end();
        return;
      }
      req.write(full.subarray(at, at + piece));
      at += piece;
      setImmediate(next);
    };
    next();
  });
}

test('concurrent 600 KB bodies, interleaved on the wire and batched, each answered from its own bytes', async () => {
  for (let round = 0; round < 3; round++) {
    const seeds = Array.from({ length: 12 }, (_, i) => round * 100 + i);
    const answers = await Promise.all(seeds.map((seed) => {
      const x = values(seed);
      const { header, full } = body(x);
      return uploadInPieces(full, header.byteLength, 40_000 + seed * 997).then((r) => ({ r, want: expected(x) }));
    }));
    for (const { r, want } of answers) {
      assert.equal(r.status, 200, r.text);
      assert.equal(JSON.parse(r.text).outputs[0].data[0], want);
    }
  }
  // The bodies were given back for reuse (the pool holds some between rounds).
  assert.ok(spareBuffers.heldBytes > 0, 'no input buffer went back to the spare pool');
});

test('a chunked body (no Content-Length) of the same size still answers from its own bytes', async () => {
  const x = values(999);
  const { header, full } = body(x);
  const r = await request(h.httpPort, 'POST', '/v2/models/sum/infer', {
    body: full, chunked: true, headers: { 'Inference-Header-Content-Length': header.byteLength },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(splitResponse(r).json.outputs[0].data[0], expected(x));
});

test('a client that disconnects halfway through its body leaves the server answering the next request', async () => {
  const x = values(5);
  const { header, full } = body(x);
  await new Promise<void>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: h.httpPort, method: 'POST', path: '/v2/models/sum/infer', agent: false,
      headers: { 'Content-Length': full.byteLength, 'Inference-Header-Content-Length': header.byteLength } });
    req.on('error', () => resolve());
    req.write(full.subarray(0, full.byteLength >> 1), () => {
      req.destroy();
      resolve();
    });
  });
  const r = await uploadInPieces(full, header.byteLength, 64 * 1024);
  assert.equal(r.status, 200, r.text);
  assert.equal(JSON.parse(r.text).outputs[0].data[0], expected(x));
});
