/**
 * BLS: `pb_utils.InferenceRequest(...).exec()` / `async_exec()` / `exec(decoupled=True)` from Python
 * models call ONNX and Python models of the same server through the core invoker (no HTTP), and
 * pb_utils.is_model_ready / load_model / unload_model reach the server. Real stubs, real ONNX Runtime,
 * real HTTP and gRPC sockets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceResponse } from '../../src/index.js';
import { inferJson } from '../support/http-harness.js';
import { exampleFiles, i32, readI32, startPython, type PythonHarness } from './support.js';

const PROBE_CONFIG = `
name: "probe"
backend: "python"
input [ { name: "X" data_type: TYPE_INT32 dims: [ -1 ] } ]
output [
  { name: "OUT" data_type: TYPE_INT32 dims: [ -1 ] },
  { name: "MSG" data_type: TYPE_STRING dims: [ -1 ] }
]
`;

// One async model, the BLS feature picked by the request parameter "case".
const PROBE_MODEL = `
import asyncio
import json

import numpy as np
import triton_python_backend_utils as pb_utils


def i32(name, values, shape=None):
    a = np.array(values, dtype=np.int32)
    return pb_utils.Tensor(name, a if shape is None else a.reshape(shape))


def answer(out, *messages):
    return pb_utils.InferenceResponse([i32("OUT", out),
                                       pb_utils.Tensor("MSG", np.array([m.encode() for m in messages], dtype=np.object_))])


def error_text(response):
    err = response.error()
    return f"{err.code()}|{err.message()}"


class TritonPythonModel:
    async def execute(self, requests):
        return [await self.one(r) for r in requests]

    async def one(self, request):
        case = json.loads(request.parameters()).get("case", "")
        x = pb_utils.get_input_tensor_by_name(request, "X").as_numpy()
        if case == "async_many":
            calls = [pb_utils.InferenceRequest(
                model_name="simple", requested_output_names=["OUTPUT0"],
                inputs=[i32("INPUT0", x + k, [1, 16]), i32("INPUT1", np.full(16, 100), [1, 16])]).async_exec()
                for k in range(4)]
            responses = await asyncio.gather(*calls)
            bad = [error_text(r) for r in responses if r.has_error()]
            if bad:
                return pb_utils.InferenceResponse(error=pb_utils.TritonError(bad[0]))
            out = np.concatenate([pb_utils.get_output_tensor_by_name(r, "OUTPUT0").as_numpy().reshape(-1) for r in responses])
            return answer(out, *[t.name() for r in responses for t in r.output_tensors()])
        if case in ("decoupled", "decoupled_async"):
            bls = pb_utils.InferenceRequest(model_name="repeat_py", inputs=[i32("IN", x)])
            values, sizes = [], []
            if case == "decoupled":
                responses = list(bls.exec(decoupled=True))
            else:
                responses = [r async for r in await bls.async_exec(decoupled=True)]
            for r in responses:
                if r.has_error():
                    return pb_utils.InferenceResponse(error=r.error())
                sizes.append(str(len(r.output_tensors())))
                out = pb_utils.get_output_tensor_by_name(r, "OUT")
                if out is not None:
                    values.append(int(out.as_numpy()[0]))
            return answer(values, ",".join(sizes))
        if case == "errors":
            missing = pb_utils.InferenceRequest(model_name="nope", inputs=[i32("IN", x)]).exec()
            decoupled = pb_utils.InferenceRequest(model_name="repeat_py", inputs=[i32("IN", x)]).exec()
            bad_input = pb_utils.InferenceRequest(model_name="simple", inputs=[i32("INPUT0", x, [1, -1])]).exec()
            return answer([int(r.has_error()) for r in (missing, decoupled, bad_input)],
                          *[error_text(r) for r in (missing, decoupled, bad_input)])
        if case == "fields":
            bls = pb_utils.InferenceRequest(
                model_name="echo_fields", model_version=1, request_id="bls-7", correlation_id=12345678901234567,
                parameters={"color": "blue", "n": 3}, inputs=[i32("X", x)], requested_output_names=["MSG"],
                preferred_memory=pb_utils.PreferredMemory(pb_utils.TRITONSERVER_MEMORY_CPU, 0))
            r = bls.exec()
            if r.has_error():
                return pb_utils.InferenceResponse(error=r.error())
            names = [t.name() for t in r.output_tensors()]
            return answer([len(names)], *[m.decode() for m in pb_utils.get_output_tensor_by_name(r, "MSG").as_numpy()])
        if case == "large":
            bls = pb_utils.InferenceRequest(model_name="identity_fp32",
                                            inputs=[pb_utils.Tensor("INPUT0", x.astype(np.float32).reshape(1, -1))])
            r = await bls.async_exec()
            if r.has_error():
                return pb_utils.InferenceResponse(error=r.error())
            y = pb_utils.get_output_tensor_by_name(r, "OUTPUT0").as_numpy().reshape(-1)
            return answer(y.astype(np.int32) + 1)
        if case == "control":
            ready = [pb_utils.is_model_ready("simple"), pb_utils.is_model_ready("simple", "1"),
                     pb_utils.is_model_ready("simple", "7"), pb_utils.is_model_ready("nope")]
            messages = []
            for call in (lambda: pb_utils.load_model("simple"), lambda: pb_utils.unload_model("simple")):
                try:
                    call()
                    messages.append("no error")
                except pb_utils.TritonModelException as err:
                    messages.append(str(err))
            return answer([int(b) for b in ready], *messages)
        raise pb_utils.TritonError(f"unknown case '{case}'")
`;

const ECHO_CONFIG = `
name: "echo_fields"
backend: "python"
input [ { name: "X" data_type: TYPE_INT32 dims: [ -1 ] } ]
output [
  { name: "Y" data_type: TYPE_INT32 dims: [ -1 ] },
  { name: "MSG" data_type: TYPE_STRING dims: [ -1 ] }
]
`;

const ECHO_MODEL = `
import json
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        out = []
        for r in requests:
            corr = r.correlation_id()
            fields = [r.request_id(), f"{type(corr).__name__}:{corr}", json.dumps(json.loads(r.parameters()), sort_keys=True),
                      ",".join(r.requested_output_names())]
            out.append(pb_utils.InferenceResponse([
                pb_utils.Tensor("Y", pb_utils.get_input_tensor_by_name(r, "X").as_numpy() * 2),
                pb_utils.Tensor("MSG", np.array([f.encode() for f in fields], dtype=np.object_))]))
        return out
`;

// Decoupled: one response, then waits (up to 30 s) for the request to be cancelled.
const SLOW_CONFIG = `
name: "slow_stream"
backend: "python"
model_transaction_policy { decoupled: true }
input [ { name: "X" data_type: TYPE_INT32 dims: [ -1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
`;

const SLOW_MODEL = `
import threading
import time
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        for r in requests:
            threading.Thread(target=self.run, args=(r,), daemon=True).start()
        return None

    def run(self, request):
        sender = request.get_response_sender()
        sender.send(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([1], dtype=np.int32))]))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if request.is_cancelled():
                pb_utils.Logger.log_info(f"slow_stream {request.request_id()} cancelled")
                sender.send(pb_utils.InferenceResponse(error=pb_utils.TritonError(
                    "slow_stream saw the cancellation", pb_utils.TritonError.CANCELLED)),
                    flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
                return
            time.sleep(0.01)
        sender.send(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([2], dtype=np.int32))]),
                    flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
`;

// Decoupled: streams slow_stream's responses through, in execute (main thread: the outer request's
// cancellation reaches the BLS call) or, with "self_cancel", cancelling the iterator itself.
const RELAY_CONFIG = `
name: "relay"
backend: "python"
model_transaction_policy { decoupled: true }
input [ { name: "X" data_type: TYPE_INT32 dims: [ -1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
`;

const RELAY_MODEL = `
import json
import os
import numpy as np
import triton_python_backend_utils as pb_utils

FINAL = pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL

class TritonPythonModel:
    def execute(self, requests):
        for request in requests:
            sender = request.get_response_sender()
            params = json.loads(request.parameters())
            self_cancel = params.get("self_cancel", False)
            responses = pb_utils.InferenceRequest(
                model_name="slow_stream", request_id=request.request_id(),
                inputs=[pb_utils.Tensor("X", np.zeros(1, np.int32))]).exec(decoupled=True)
            for r in responses:
                if r.has_error():
                    sender.send(pb_utils.InferenceResponse(error=pb_utils.TritonError(
                        "inner: " + r.error().message(), r.error().code())), flags=FINAL)
                    break
                if r.output_tensors():
                    sender.send(pb_utils.InferenceResponse(r.output_tensors()))
                    if self_cancel:
                        responses.cancel()
                    if params.get("die", False):
                        os._exit(1)
            else:
                sender.send(flags=FINAL)
        return None
`;

// Decoupled: the BLS call runs on a thread the model starts, after execute has returned.
const THREAD_CONFIG = `
name: "bls_thread"
backend: "python"
model_transaction_policy { decoupled: true }
input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]
`;

const THREAD_MODEL = `
import threading
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "X").as_numpy().copy()
            threading.Thread(target=self.run, args=(r.get_response_sender(), x)).start()
        return None

    def run(self, sender, x):
        response = pb_utils.InferenceRequest(
            model_name="add_sub", requested_output_names=["OUTPUT0"],
            inputs=[pb_utils.Tensor("INPUT0", x), pb_utils.Tensor("INPUT1", np.full(4, 0.5, np.float32))]).exec()
        if response.has_error():
            sender.send(pb_utils.InferenceResponse(error=response.error()), flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
            return
        out = pb_utils.get_output_tensor_by_name(response, "OUTPUT0").as_numpy()
        sender.send(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", out)]), flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
`;

let h: PythonHarness;

before(async () => {
  h = await startPython({
    ...exampleFiles('simple'), ...exampleFiles('identity_fp32'), ...exampleFiles('add_sub'),
    ...exampleFiles('repeat_py'), ...exampleFiles('bls_add_sub'),
    'probe/config.pbtxt': PROBE_CONFIG, 'probe/1/model.py': PROBE_MODEL,
    'echo_fields/config.pbtxt': ECHO_CONFIG, 'echo_fields/1/model.py': ECHO_MODEL,
    'slow_stream/config.pbtxt': SLOW_CONFIG, 'slow_stream/1/model.py': SLOW_MODEL,
    'relay/config.pbtxt': RELAY_CONFIG, 'relay/1/model.py': RELAY_MODEL,
    'bls_thread/config.pbtxt': THREAD_CONFIG, 'bls_thread/1/model.py': THREAD_MODEL,
  });
});
after(async () => {
  await h?.close();
});

const range16 = (k: number): number[] => Array.from({ length: 16 }, (_, i) => i * k + 0); // + 0: no -0

async function probe(kase: string, x: number[]): Promise<{ OUT: number[]; MSG: string[] }> {
  const r = await inferJson(h.httpPort, 'probe', {
    parameters: { case: kase },
    inputs: [{ name: 'X', shape: [x.length], datatype: 'INT32', data: x }],
  });
  assert.equal(r.status, 200, r.text);
  const body = JSON.parse(r.text) as { outputs: { name: string; data: unknown[] }[] };
  const data = (name: string): unknown[] => body.outputs.find((o) => o.name === name)?.data ?? [];
  return { OUT: data('OUT') as number[], MSG: data('MSG') as string[] };
}

test('bls_add_sub over HTTP: the Python model runs the ONNX simple model through exec()', async () => {
  const r = await inferJson(h.httpPort, 'bls_add_sub', {
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range16(1) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range16(3) },
    ],
  });
  assert.equal(r.status, 200, r.text);
  const outputs = JSON.parse(r.text).outputs as { name: string; shape: number[]; data: number[] }[];
  assert.deepEqual(outputs.map((o) => [o.name, o.shape]), [['OUTPUT0', [1, 16]], ['OUTPUT1', [1, 16]]]);
  assert.deepEqual(outputs[0]!.data, range16(4));
  assert.deepEqual(outputs[1]!.data, range16(-2));
});

test('bls_add_sub over gRPC: a batch of 2 with raw contents', async () => {
  const a = [...range16(1), ...range16(10)];
  const b = [...range16(2), ...range16(-1)];
  const res = await h.grpc.call('ModelInfer', {
    model_name: 'bls_add_sub',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [2, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [2, 16] }],
    raw_input_contents: [i32(a), i32(b)],
  });
  assert.deepEqual(res.outputs.map((o: { name: string; shape: unknown[] }) => [o.name, o.shape.map(Number)]),
    [['OUTPUT0', [2, 16]], ['OUTPUT1', [2, 16]]]);
  assert.deepEqual(readI32(res.raw_output_contents[0]), a.map((v, i) => v + b[i]!));
  assert.deepEqual(readI32(res.raw_output_contents[1]), a.map((v, i) => v - b[i]!));
});

test('async_exec: four concurrent calls from an async execute, each answered with only the requested output', async () => {
  const x = range16(1);
  const { OUT, MSG } = await probe('async_many', x);
  assert.deepEqual(OUT, [0, 1, 2, 3].flatMap((k) => x.map((v) => v + k + 100)));
  assert.deepEqual(MSG, ['OUTPUT0', 'OUTPUT0', 'OUTPUT0', 'OUTPUT0']);
});

test('exec(decoupled=True) on the decoupled repeat_py: every response in order, the last one empty', async () => {
  const { OUT, MSG } = await probe('decoupled', [7, 8, 9]);
  assert.deepEqual(OUT, [7, 8, 9]);
  assert.deepEqual(MSG, ['2,2,2,0']);
});

test('await async_exec(decoupled=True), iterated with async for', async () => {
  const { OUT, MSG } = await probe('decoupled_async', [4, 5]);
  assert.deepEqual(OUT, [4, 5]);
  assert.deepEqual(MSG, ['2,2,0']);
});

test('failed BLS calls are error responses (has_error), not exceptions: unknown model, exec() on a decoupled model, bad input', async () => {
  const { OUT, MSG } = await probe('errors', [1, 2, 3]);
  assert.deepEqual(OUT, [1, 1, 1]);
  const [missing, decoupled, badInput] = MSG.map((m) => m.split('|')) as [[string, string], [string, string], [string, string]];
  assert.match(missing[1], /nope/);
  assert.equal(decoupled[0], '5'); // UNSUPPORTED
  assert.match(decoupled[1], /exec\(decoupled=True\)/);
  assert.equal(badInput[0], '3'); // INVALID_ARG
});

test('request fields reach the callee: request_id, a large int correlation_id, parameters, requested outputs; BYTES come back', async () => {
  const { OUT, MSG } = await probe('fields', [1]);
  assert.deepEqual(OUT, [1]);
  assert.deepEqual(MSG, ['bls-7', 'int:12345678901234567', '{"color": "blue", "n": 3}', 'MSG']);
});

test('4 MB through BLS both ways (shared-memory bodies interleaved with the outer request)', async () => {
  const n = 1 << 20;
  const x = Array.from({ length: n }, (_, i) => (i * 7) % 100_003);
  const res = await h.grpc.call('ModelInfer', {
    model_name: 'probe', parameters: { case: { string_param: 'large' } },
    inputs: [{ name: 'X', datatype: 'INT32', shape: [n] }],
    outputs: [{ name: 'OUT' }],
    raw_input_contents: [i32(x)],
  });
  const out = readI32(res.raw_output_contents[0]);
  assert.equal(out.length, n);
  assert.ok(out.every((v, i) => v === x[i]! + 1));
});

test('is_model_ready through the server; load_model / unload_model answer as the server does without explicit mode', async () => {
  const { OUT, MSG } = await probe('control', [0]);
  assert.deepEqual(OUT, [1, 1, 0, 0]);
  assert.deepEqual(MSG, [
    'explicit model load / unload is not allowed if polling is enabled',
    'explicit model load / unload is not allowed if polling is enabled',
  ]);
});

test('a BLS call from a thread of a decoupled model, after execute returned', async () => {
  const responses = await stream('bls_thread', [{ name: 'X', datatype: 'FP32', shape: [4], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) }]);
  assert.equal(responses.length, 1);
  assert.equal(responses[0]!.error, undefined);
  assert.deepEqual([...new Float32Array(responses[0]!.outputs[0]!.data.slice().buffer)], [1.5, 2.5, 3.5, 4.5]);
});

test('cancelling the outer request cancels its BLS call (the callee sees is_cancelled)', async () => {
  const controller = new AbortController();
  const responses = await stream('relay', [zeroX()], { signal: controller.signal, onResponse: (_r, n) => { if (n === 1) controller.abort(); } });
  assert.equal(responses.length, 2);
  assert.deepEqual(readI32(responses[0]!.outputs[0]!.data), [1]);
  assert.equal(responses[1]!.error?.code, 'CANCELLED');
  assert.equal(responses[1]!.error?.message, 'inner: slow_stream saw the cancellation');
});

test('ResponseIterator.cancel() cancels the call it iterates', async () => {
  const responses = await stream('relay', [zeroX()], { parameters: { self_cancel: true } });
  assert.equal(responses.length, 2);
  assert.equal(responses[1]!.error?.message, 'inner: slow_stream saw the cancellation');
});

test('a stub that dies mid-call: its request fails and the BLS call it left is cancelled', async () => {
  const responses = await stream('relay', [zeroX()], { id: 'dies', parameters: { die: true } });
  assert.equal(responses.at(-1)!.error?.code, 'INTERNAL');
  assert.match(responses.at(-1)!.error?.message ?? '', /Stub process 'relay_0' is not healthy/);
  const deadline = Date.now() + 20_000;
  while (!h.logs.some((l) => l.includes('slow_stream dies cancelled')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(h.logs.some((l) => l.includes('slow_stream dies cancelled')), h.logs.join('\n'));
});

function zeroX() {
  return { name: 'X', datatype: 'INT32' as const, shape: [1], data: new Uint8Array(4) };
}

function stream(
  modelName: string,
  inputs: { name: string; datatype: 'INT32' | 'FP32'; shape: number[]; data: Uint8Array }[],
  options: {
    id?: string; signal?: AbortSignal; parameters?: Record<string, boolean>; onResponse?: (r: InferenceResponse, n: number) => void;
  } = {},
): Promise<InferenceResponse[]> {
  const responses: InferenceResponse[] = [];
  return new Promise((resolve) => {
    h.server.inferStream({
      modelName, inputs,
      ...(options.id ? { id: options.id } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.parameters ? { parameters: options.parameters } : {}),
    }, (r) => {
      // A flag-only final adds nothing here.
      if (!(r.final && r.outputs.length === 0 && r.error === undefined)) responses.push(r);
      options.onResponse?.(r, responses.length);
      if (r.final) resolve(responses);
    });
  });
}
