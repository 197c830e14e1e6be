/**
 * Issue 15: a Python instance takes its next execution while one runs (one staged execution). Real stub
 * processes; a model that holds an execute until the test creates a gate file, so "batch N+1 was handed
 * to the stub while N ran" is an ordering of events (the server's `inferd:execution` message for N+1
 * before N's answer), never a timing. Each answer carries the model's own execution number, so the order
 * the stub ran batches in is checked against the order the server handed them over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFERD_CHANNELS, type ExecutionMessage, type InferenceResponse, type ServerError } from '../../src/core/index.js';
import { executing } from '../support/executing.js';
import { startPython } from './support.js';

/**
 * Holds an execute while a request's `gate` file is missing, ends the process for `die`, calls itself
 * through BLS for `bls`, and answers
 * every request with its own input and EXEC = [execution number, cancelled?] of the model's own count.
 */
const GATED_PY = `
import json
import os
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.executions = 0

    def execute(self, requests):
        self.executions += 1
        for r in requests:
            params = json.loads(r.parameters())
            gate = params.get("gate")
            while gate and not os.path.exists(gate):
                time.sleep(0.005)
            if params.get("die"):
                os._exit(1)
            if params.get("sleep_ms"):
                time.sleep(params["sleep_ms"] / 1000)
            if params.get("bls"):
                # A call into this same model, as a model that recurses through BLS makes.
                child = pb_utils.InferenceRequest(model_name="gated", inputs=[pb_utils.get_input_tensor_by_name(r, "IN")],
                                                  requested_output_names=["OUT"]).exec()
                if child.has_error():
                    raise pb_utils.TritonModelException(child.error().message())
        responses = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "IN").as_numpy()
            info = np.array([[self.executions, int(r.is_cancelled())]] * x.shape[0], dtype=np.int64)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", x.copy()), pb_utils.Tensor("EXEC", info)]))
        return responses
`;

const IO = 'input [{ name: "IN" data_type: TYPE_FP32 dims: [-1] }]\n' +
  'output [{ name: "OUT" data_type: TYPE_FP32 dims: [-1] }, { name: "EXEC" data_type: TYPE_INT64 dims: [2] }]\n';

const GROUP = 'instance_group [{ count: 1 kind: KIND_CPU }]\n';
/** A staging slot takes only a batch that cannot grow: here one of 2 requests (the preferred size). */
const BATCHED = `backend: "python"\nmax_batch_size: 8\n${IO}${GROUP}dynamic_batching { preferred_batch_size: [2] }\n`;
/** The default scheduler: every request is a whole execution, so any can be staged. */
const PLAIN = `backend: "python"\nmax_batch_size: 8\n${IO}${GROUP}`;
const SEQUENCE = `backend: "python"\nmax_batch_size: 8\n${IO}instance_group [{ count: 1 kind: KIND_CPU }]\n` +
  'sequence_batching { max_sequence_idle_microseconds: 60000000 }\n';

/** 150 000 floats: 600 KB, so the body goes through the stub's shared-memory region. */
const FLOATS = 150_000;

function input(value: number): Uint8Array {
  return new Uint8Array(new Float32Array(FLOATS).fill(value).buffer);
}

function floatAt(r: InferenceResponse, name: string, i = 0): number {
  const t = r.outputs.find((o) => o.name === name)!;
  return new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4)[i]!;
}

/** [execution number, cancelled] as the model counted them. */
function execInfo(r: InferenceResponse): [number, number] {
  const t = r.outputs.find((o) => o.name === 'EXEC')!;
  const v = new BigInt64Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + 16));
  return [Number(v[0]), Number(v[1])];
}

/** Every execution handed to an instance of `model`, in order. */
function recordExecutions(model: string): { seen: ExecutionMessage[]; stop(): void } {
  const seen: ExecutionMessage[] = [];
  const listener = (m: unknown): void => {
    if ((m as ExecutionMessage).modelName === model) seen.push(m as ExecutionMessage);
  };
  diagnostics.subscribe(INFERD_CHANNELS.execution, listener);
  return { seen, stop: () => diagnostics.unsubscribe(INFERD_CHANNELS.execution, listener) };
}

type Harness = Awaited<ReturnType<typeof startPython>>;
/** One in-process request to the gated model: one row of `value`, with request parameters and a signal. */
type Infer = (id: string, value: number, parameters?: Record<string, string | boolean>, signal?: AbortSignal) => ReturnType<Harness['server']['infer']>;

async function withModel(config: string, body: (h: Harness, gate: string, infer: Infer) => Promise<void>): Promise<void> {
  const h = await startPython({ 'gated/config.pbtxt': config, 'gated/1/model.py': GATED_PY });
  const infer: Infer = (id, value, parameters = {}, signal) => h.server.infer({
    modelName: 'gated', id, inputs: [{ name: 'IN', datatype: 'FP32', shape: [1, FLOATS], data: input(value) }], parameters,
    ...(signal === undefined ? {} : { signal }),
  });
  try {
    await body(h, join(h.repoDir, 'gate'), infer);
  } finally {
    await h.close();
  }
}

test('the next batch is handed to the stub while one runs, and runs after it with its own answers', { timeout: 60_000 }, async () => {
  await withModel(BATCHED, async (h, gate, infer) => {
    const log = recordExecutions('gated');
    try {
      const answered: string[] = [];
      const running = executing('a');
      const first = infer('a', 1, { gate }).then((r) => (answered.push('a'), r));
      await running;
      // 'a' holds the stub; 'b' and 'c' (a batch of the preferred size) still reach it, staged behind 'a'.
      const staged = executing('b');
      const rest = [infer('b', 2).then((r) => (answered.push('b'), r)), infer('c', 3).then((r) => (answered.push('c'), r))];
      await staged;
      assert.deepEqual(answered, [], 'the staged execution was handed over while the first one still ran');
      assert.equal(existsSync(gate), false);
      writeFileSync(gate, '');
      const responses = await Promise.all([first, ...rest]);
      // Each answer is its own input; executions ran in the order the server handed them over.
      responses.forEach((r, i) => assert.equal(floatAt(r, 'OUT', FLOATS - 1), i + 1));
      const order = log.seen.map((m) => m.requestIds);
      assert.deepEqual(order, [['a'], ['b', 'c']]);
      for (const [k, ids] of order.entries()) {
        for (const id of ids) assert.equal(execInfo(responses[['a', 'b', 'c'].indexOf(id)]!)[0], k + 1, `request ${id}`);
      }
    } finally {
      log.stop();
    }
  });
});

test('many concurrent 600 KB requests over HTTP: each answer is its own input, batches run in handover order', { timeout: 60_000 }, async () => {
  await withModel(BATCHED, async (h) => {
    const log = recordExecutions('gated');
    try {
      const N = 48;
      const send = async (i: number): Promise<[number, number, number]> => {
        const header = Buffer.from(JSON.stringify({
          id: `r${i}`,
          parameters: { sleep_ms: 2 },
          inputs: [{ name: 'IN', shape: [1, FLOATS], datatype: 'FP32', parameters: { binary_data_size: FLOATS * 4 } }],
          outputs: [{ name: 'OUT', parameters: { binary_data: true } }, { name: 'EXEC', parameters: { binary_data: true } }],
        }));
        const res = await fetch(`http://127.0.0.1:${h.httpPort}/v2/models/gated/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
          body: Buffer.concat([header, Buffer.from(input(i + 0.25))]),
        });
        assert.equal(res.status, 200);
        const body = Buffer.from(await res.arrayBuffer());
        const json = JSON.parse(body.subarray(0, Number(res.headers.get('inference-header-content-length'))).toString());
        const out = body.subarray(Number(res.headers.get('inference-header-content-length')));
        // Binary outputs follow the header in the order it lists them.
        const names = (json.outputs as { name: string; parameters: { binary_data_size: number } }[]);
        const at = (name: string): [number, number] => {
          let offset = 0;
          for (const o of names) {
            if (o.name === name) return [out.byteOffset + offset, o.parameters.binary_data_size];
            offset += o.parameters.binary_data_size;
          }
          throw new Error(`no output ${name}`);
        };
        const [outAt, outSize] = at('OUT');
        const [execAt] = at('EXEC');
        const floats = new Float32Array(out.buffer.slice(outAt, outAt + outSize));
        const exec = new BigInt64Array(out.buffer.slice(execAt, execAt + 16));
        return [floats[0]!, floats[FLOATS - 1]!, Number(exec[0])];
      };
      const results = await Promise.all(Array.from({ length: N }, (_, i) => send(i)));
      results.forEach(([head, tail], i) => {
        assert.equal(head, i + 0.25);
        assert.equal(tail, i + 0.25);
      });
      // The k-th execution handed over is the k-th the model ran, for every request in it.
      log.seen.forEach((m, k) => {
        for (const id of m.requestIds) assert.equal(results[Number(id.slice(1))]![2], k + 1, `request ${id}`);
      });
      assert.equal(log.seen.reduce((n, m) => n + m.requestCount, 0), N);
    } finally {
      log.stop();
    }
  });
});

test('a stub that dies with one execution running and one staged fails both with its reason, then serves again', { timeout: 60_000 }, async () => {
  await withModel(PLAIN, async (h, gate, infer) => {
    const running = executing('a');
    const dying = infer('a', 1, { gate, die: true });
    await running;
    const staged = executing('b');
    const behind = infer('b', 2);
    await staged;
    writeFileSync(gate, '');
    // server.infer rejects with a response's error.
    const errors = await Promise.all([dying, behind].map((p) => p.then(() => undefined, (e: ServerError) => e)));
    for (const e of errors) {
      assert.equal(e?.code, 'INTERNAL');
      assert.match(e.message, /Stub process 'gated_0_0' is not healthy \(exited with code 1\)/);
    }
    const again = await infer('c', 3);
    assert.equal(again.error, undefined);
    assert.equal(floatAt(again, 'OUT'), 3);
  });
});

test('a staged request cancelled by its client is answered CANCELLED at once; the running one is unaffected', { timeout: 60_000 }, async () => {
  await withModel(PLAIN, async (h, gate, infer) => {
    const running = executing('a');
    const first = infer('a', 1, { gate });
    await running;
    const abort = new AbortController();
    const staged = executing('b');
    const cancelled = infer('b', 2, {}, abort.signal);
    await staged;
    abort.abort();
    // Answered while 'a' still holds the stub (its gate is not there yet).
    const rb = await cancelled.then(() => undefined, (e: ServerError) => e);
    assert.equal(rb?.code, 'CANCELLED');
    assert.equal(existsSync(gate), false);
    writeFileSync(gate, '');
    const ra = await first;
    assert.equal(ra.error, undefined);
    assert.equal(floatAt(ra, 'OUT'), 1);
    // The stub still ran the staged execution (number 2; its answer was dropped) and serves on.
    const rc = await infer('c', 3);
    assert.equal(floatAt(rc, 'OUT'), 3);
    assert.deepEqual(execInfo(rc), [3, 0]);
  });
});

test('an idle instance wins over a staging slot: with two instances the second request runs at once', { timeout: 60_000 }, async () => {
  await withModel(PLAIN.replace('count: 1', 'count: 2'), async (h, gate, infer) => {
    const log = recordExecutions('gated');
    try {
      const running = executing('a');
      const first = infer('a', 1, { gate });
      await running;
      // Answered while 'a' still holds its instance: 'b' was not staged behind it.
      const rb = await infer('b', 2);
      assert.equal(floatAt(rb, 'OUT'), 2);
      assert.equal(existsSync(gate), false);
      writeFileSync(gate, '');
      assert.equal(floatAt(await first, 'OUT'), 1);
      const [ea, eb] = log.seen;
      assert.notEqual(ea!.instance, eb!.instance);
    } finally {
      log.stop();
    }
  });
});

test('a BLS call into the same model is never staged behind its own parent', { timeout: 60_000 }, async () => {
  await withModel(PLAIN.replace('count: 1', 'count: 2'), async (h, gate, infer) => {
    const log = recordExecutions('gated');
    try {
      const holding = executing('q');
      const held = infer('q', 1, { gate });
      await holding;
      // 'p' takes the other instance and calls the model again: both instances are busy when the call comes.
      const parent = infer('p', 2, { bls: true });
      while (log.seen.length < 3) await new Promise((resolve) => setImmediate(resolve));
      const [q, p, child] = log.seen;
      assert.deepEqual([q!.requestIds, p!.requestIds], [['q'], ['p']]);
      assert.notEqual(p!.instance, q!.instance);
      // Staged behind 'q' (which will end), not behind 'p' (which waits for it).
      assert.equal(child!.instance, q!.instance);
      writeFileSync(gate, '');
      assert.equal(floatAt(await held, 'OUT'), 1);
      assert.equal(floatAt(await parent, 'OUT'), 2);
    } finally {
      log.stop();
    }
  });
});

test('a partial batch is not staged: it waits for the instance, so it can still grow', { timeout: 60_000 }, async () => {
  await withModel(BATCHED, async (h, gate, infer) => {
    const log = recordExecutions('gated');
    try {
      const events: string[] = [];
      const running = executing('a');
      const first = infer('a', 1, { gate }).then((r) => (events.push('answer a'), r));
      await running;
      const handed = executing('b').then(() => events.push('execute b'));
      const second = infer('b', 2).then((r) => (events.push('answer b'), r));
      await new Promise((resolve) => setImmediate(resolve));
      writeFileSync(gate, '');
      const [ra, rb] = await Promise.all([first, second, handed]);
      assert.deepEqual(events, ['answer a', 'execute b', 'answer b']);
      assert.equal(floatAt(ra!, 'OUT'), 1);
      assert.equal(floatAt(rb!, 'OUT'), 2);
      assert.deepEqual(log.seen.map((m) => m.requestIds), [['a'], ['b']]);
    } finally {
      log.stop();
    }
  });
});

test('sequence-batched Python models are not staged: the next sequence waits for the running execution', { timeout: 60_000 }, async () => {
  await withModel(SEQUENCE, async (h, gate) => {
    const log = recordExecutions('gated');
    try {
      const infer = (id: string, corr: bigint, value: number, parameters: Record<string, string> = {}) => h.server.infer({
        modelName: 'gated', id, correlationId: corr, flags: 3,
        inputs: [{ name: 'IN', datatype: 'FP32', shape: [1, FLOATS], data: input(value) }], parameters,
      });
      const events: string[] = [];
      const running = executing('a');
      const first = infer('a', 1n, 1, { gate }).then((r) => (events.push('answer a'), r));
      await running;
      const handed = executing('b').then(() => events.push('execute b'));
      const second = infer('b', 2n, 2).then((r) => (events.push('answer b'), r));
      // Let anything the enqueue started happen before the gate opens.
      await new Promise((resolve) => setImmediate(resolve));
      writeFileSync(gate, '');
      const [ra, rb] = await Promise.all([first, second, handed]);
      assert.deepEqual(events, ['answer a', 'execute b', 'answer b']);
      assert.equal(floatAt(ra!, 'OUT'), 1);
      assert.equal(floatAt(rb!, 'OUT'), 2);
      assert.deepEqual(log.seen.map((m) => m.requestIds), [['a'], ['b']]);
    } finally {
      log.stop();
    }
  });
});
