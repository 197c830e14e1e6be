/**
 * The generate extension over real sockets (spec §1.9): a real server (repository on disk, ONNX
 * Runtime `simple`, the built-in `repeat` backend, the identity backend and a plug-in backend that
 * scripts decoupled responses) behind the real HTTP frontend.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer, HttpFrontend, type InferenceServer } from '../../src/index.js';
import { request } from '../support/http-harness.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { REPEAT_CONFIG } from '../decoupled/repeat-support.js';

const examples = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));

/** A plug-in backend: one response echoing IN and the request parameters, then `fail` decides the end. */
const SCRIPTED_BACKEND = `
export const backend = {
  name: 'scripted',
  async createModel() {
    return {
      async createInstance(ctx) {
        return {
          name: ctx.name,
          async execute(requests) {
            for (const r of requests) {
              const input = r.input('IN');
              r.respond({ outputs: [{ name: 'OUT', datatype: 'INT32', shape: input.shape, data: input.data }],
                parameters: r.parameters }, false);
              setTimeout(() => {
                if (r.parameters.fail === true) r.respondError(new Error('An Error Occurred'));
                else r.respond({}, true);
              }, 5);
            }
          },
          async dispose() {},
        };
      },
      async dispose() {},
    };
  },
};
`;

const SCRIPTED_CONFIG = `backend: "scripted"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ -1 ] } ]
`;

let server: InferenceServer;
let frontend: HttpFrontend;
let port: number;
let repo: ReturnType<typeof makeRepo>;
let backendsDir: string;

before(async () => {
  repo = makeRepo({
    'simple/config.pbtxt': readFileSync(join(examples, 'simple/config.pbtxt')),
    'simple/1/model.onnx': readFileSync(join(examples, 'simple/1/model.onnx')),
    'repeat_int32/config.pbtxt': REPEAT_CONFIG, 'repeat_int32/1/': null,
    'text/config.pbtxt': identityConfig().replace(/TYPE_FP32/g, 'TYPE_STRING'), 'text/1/': null,
    'fixed/config.pbtxt': identityConfig('', '[ 2, 2 ]', 0), 'fixed/1/': null,
    'scripted/config.pbtxt': SCRIPTED_CONFIG, 'scripted/1/': null,
  });
  backendsDir = mkdtempSync(join(tmpdir(), 'inferd-backends-'));
  mkdirSync(join(backendsDir, 'scripted'));
  writeFileSync(join(backendsDir, 'scripted', 'index.mjs'), SCRIPTED_BACKEND);
  ({ server } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backendsDir }));
  frontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  ({ port } = await frontend.listen());
});

after(async () => {
  await frontend.close();
  await server.shutdown();
  repo.cleanup();
  rmSync(backendsDir, { recursive: true, force: true });
});

const generate = (model: string, body: unknown, headers: Record<string, string> = {}) =>
  request(port, 'POST', `/v2/models/${model}/generate`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers });
const generateStream = (model: string, body: unknown, headers: Record<string, string> = {}) =>
  request(port, 'POST', `/v2/models/${model}/generate_stream`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers });

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

async function expectError(
  res: Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>, status: number, message: string,
): Promise<void> {
  const r = await res;
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(r.text), { error: message });
}

test('/generate on simple: INPUT0/INPUT1 arrays in, one flat JSON object out, keys sorted', async () => {
  const r = await generate('simple', { INPUT0: range(16, (i) => i), INPUT1: range(16, () => 1), id: 'req-1' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.text,
    `{"OUTPUT0":[${range(16, (i) => i + 1).join(',')}],"OUTPUT1":[${range(16, (i) => i - 1).join(',')}],` +
    '"id":"req-1","model_name":"simple","model_version":"1"}');
});

test('/generate with a version in the path and the inputs inside "parameters"', async () => {
  const r = await request(port, 'POST', '/v2/models/simple/versions/1/generate', {
    body: JSON.stringify({ parameters: { INPUT0: range(16, () => 2), INPUT1: range(16, () => 3) } }),
  });
  assert.equal(r.status, 200);
  const body = JSON.parse(r.text);
  assert.deepEqual(body.OUTPUT0, range(16, () => 5));
  assert.deepEqual(body.OUTPUT1, range(16, () => -1));
});

test('BYTES inputs from strings; single elements unwrapped, arrays kept', async () => {
  assert.equal((await generate('text', { INPUT0: 'hello' })).text, '{"OUTPUT0":"hello","model_name":"text","model_version":"1"}');
  assert.equal((await generate('text', { INPUT0: ['a', 'bé'] })).text, '{"OUTPUT0":["a","bé"],"model_name":"text","model_version":"1"}');
});

test('other keys become request parameters (string, int, bool, double) and response parameters come back', async () => {
  const r = await generate('scripted', { IN: 4, s: 'x', i: 7, b: false, d: 0.25, parameters: { n: -2 } });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"OUT":4,"b":false,"d":0.25,"i":7,"model_name":"scripted","model_version":"1","n":-2,"s":"x"}');
});

test('/generate_stream on repeat_int32: exact SSE bytes, flag-only final sends no event', async () => {
  const r = await generateStream('repeat_int32', { IN: [5, -6, 7], DELAY: [0, 1, 1] });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.text,
    'data: {"IDX":0,"OUT":5,"model_name":"repeat_int32","model_version":"1"}\n\n' +
    'data: {"IDX":1,"OUT":-6,"model_name":"repeat_int32","model_version":"1"}\n\n' +
    'data: {"IDX":2,"OUT":7,"model_name":"repeat_int32","model_version":"1"}\n\n');
});

test('/generate_stream sends each event as it is produced', async () => {
  const arrivals: { at: number; text: string }[] = [];
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/repeat_int32/generate_stream', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => arrivals.push({ at: performance.now() - start, text }));
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ IN: [1, 2], DELAY: [0, 600] }));
  });
  const events = arrivals.filter((a) => a.text.startsWith('data: '));
  assert.equal(events.length, 2);
  assert.ok(events[0]!.at < 400, `first event well before the second is produced (${events[0]!.at} ms)`);
  assert.ok(events[1]!.at - events[0]!.at >= 450, `second ~600 ms later (${events[1]!.at - events[0]!.at} ms)`);
});

test('/generate_stream with zero responses: an empty 200 event stream', async () => {
  const r = await generateStream('repeat_int32', { IN: [] });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(r.text, '');
});

test('/generate_stream: an error after a response arrives as an event under the 200', async () => {
  const r = await generateStream('scripted', { IN: [1, 2], fail: true });
  assert.equal(r.status, 200);
  assert.equal(r.text,
    'data: {"OUT":[1,2],"fail":true,"model_name":"scripted","model_version":"1"}\n\n' +
    'data: {"error":"An Error Occurred"}\n\n');
});

test('/generate_stream: an error as first response sets the status, still as an event', async () => {
  const r = await generateStream('repeat_int32', { IN: [1, 2], DELAY: [1] });
  assert.equal(r.status, 400);
  assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(r.text, 'data: {"error":"expected IN and DELAY shape to match, got [2] and [1]"}\n\n');
});

test('/generate needs exactly one response', async () => {
  const single = 'generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses';
  await expectError(generate('repeat_int32', { IN: [1, 2] }), 500, single);
  await expectError(generate('repeat_int32', { IN: [] }), 500, single);
  await expectError(generate('scripted', { IN: [1], fail: true }), 500, single);
  const one = await generate('repeat_int32', { IN: [9] });
  assert.equal(one.status, 200);
  assert.equal(one.text, '{"IDX":0,"OUT":9,"model_name":"repeat_int32","model_version":"1"}');
  await expectError(generate('repeat_int32', { IN: [1], DELAY: [1, 2] }), 400, 'expected IN and DELAY shape to match, got [1] and [2]');
});

test('errors before inference are normal JSON errors on both endpoints', async () => {
  for (const send of [generate, generateStream]) {
    await expectError(send('nope', {}), 404, "Request for unknown model: 'nope' is not found");
    await expectError(send('simple', {}, { 'Content-Encoding': 'gzip' }), 400, "Unsupported content-encoding, only 'identity' is supported.");
    await expectError(send('simple', {}, { 'Content-Encoding': 'br' }), 400, "Unsupported content-encoding, only 'identity' is supported.");
    await expectError(send('simple', '{"INPUT0": [1,'), 500, 'failed to parse the request JSON buffer: Invalid value. at 14');
    await expectError(send('simple', '[1]'), 500, 'attempt to get members for non-object');
    await expectError(send('simple', { id: 5 }), 500, "Unable to parse 'id': attempt to access JSON non-string as string");
    await expectError(send('simple', { INPUT0: Array(16).fill('x'), INPUT1: range(16, () => 1) }), 500,
      "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer");
    await expectError(send('text', { INPUT0: 3 }), 500, 'Unable to parse JSON bytes array: attempt to access JSON non-string as string');
    await expectError(send('simple', { INPUT0: [1, 2, 3] }), 400, "The schema can not convert input 'INPUT0' to tensor with proper shape");
    await expectError(send('fixed', { INPUT0: [1, 2, 3, 4, 5, 6] }), 400, "The schema can not convert input 'INPUT0' to tensor with proper shape");
    await expectError(send('simple', { parameters: 1 }), 500, "Expected JSON object for keyword: 'parameters': attempt to access JSON non-object as object");
    await expectError(send('simple', { parameters: { nested: { twice: 1 } } }), 400,
      "Converting keyword: 'parameters': parameter 'nested' has invalid type. It should be either 'int', 'bool', or 'string'.");
    await expectError(send('simple', { other: [1] }), 400, "parameter 'other' has invalid type. It should be either 'int', 'bool', or 'string'.");
    await expectError(send('text', { INPUT0: 'a', parameters: { INPUT0: 'b' } }), 400,
      "Converting keyword: 'parameters': input 'INPUT0' already exists in request");
    await expectError(send('simple', { INPUT0: range(16, () => 1) }), 400,
      "expected 2 inputs but got 1 inputs for model 'simple'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s).");
  }
  const get = await request(port, 'GET', '/v2/models/simple/generate');
  assert.equal(get.status, 405);
  assert.deepEqual(JSON.parse(get.text), { error: 'Method Not Allowed' });
});

test('a fixed-shape input gets its dims from metadata (4 values -> [2,2])', async () => {
  const r = await generate('fixed', { INPUT0: [1, 2.5, 3, 4] });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"OUTPUT0":[1.0,2.5,3.0,4.0],"model_name":"fixed","model_version":"1"}');
});

test('a client that disconnects mid-stream cancels the request', async () => {
  const failBefore = (server.modelStatistics('repeat_int32').model_stats[0] as any).inference_stats.fail.count as number;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/repeat_int32/generate_stream', agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ IN: [1, 2, 3], DELAY: [0, 1000, 1000] }));
    setTimeout(() => reject(new Error('no first event')), 2000);
  });
  for (let i = 0; i < 100 && server.inflightCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.inflightCount, 0, 'the request ended with the connection');
  assert.ok(performance.now() - start < 900, 'long before its remaining DELAY');
  const failAfter = (server.modelStatistics('repeat_int32').model_stats[0] as any).inference_stats.fail.count as number;
  assert.equal(failAfter, failBefore + 1, 'counted as a failed (cancelled) request');
  const live = await request(port, 'GET', '/v2/health/live');
  assert.equal(live.status, 200);
});
