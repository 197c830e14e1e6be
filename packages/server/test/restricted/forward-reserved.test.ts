/**
 * Header forwarding (--http-header-forward-pattern / --grpc-header-forward-pattern) over real sockets:
 * a forwarded header named like a parameter the server reads itself (sequence_id, priority, timeout,
 * triton_*, ...) would be taken as that field, so it is refused (HTTP 400 / gRPC INVALID_ARGUMENT) as
 * Triton refuses it; one the pattern does not match is simply not forwarded. gRPC metadata values with
 * leading or trailing blanks are not forwarded (Triton's gRPC stack never hands them over).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { request } from '../support/http-harness.js';
import { serveBoth, type Served } from './harness.js';

// `timeout` is left out of the HTTP pattern and `sequence_end` of the gRPC one: not matched, not refused.
const HTTP_PATTERN = /^(x-fwd-.*|sequence_id|sequence_start|sequence_end|priority|binary_data_output|headers|triton_.*)$/i;
const GRPC_PATTERN = /^(x-fwd-.*|sequence_id|priority|timeout|triton_.*)$/;

const PARAMS_INFER_JSON = JSON.stringify({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [0] }] });
const PARAMS_INFER = {
  model_name: 'params',
  inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], contents: { int_contents: [0] } }],
};

let served: Served;
before(async () => {
  served = await serveBoth({ headerForwardPattern: HTTP_PATTERN }, { headerForwardPattern: GRPC_PATTERN });
});
after(async () => served.close());

const reserved = (name: string) => `forwarded header '${name}' is a reserved parameter name for Triton usage and should not be specified.`;

/** The `params` model answers with the request's parameters as JSON text. */
function echoedHttp(text: string): unknown {
  return JSON.parse(JSON.parse(text).outputs[0].data[0]);
}

function echoedGrpc(response: pb.ModelInferResponse): unknown {
  return JSON.parse(Buffer.from(response.raw_output_contents[0]!).subarray(4).toString('utf8'));
}

test('HTTP: a forwarded header with a reserved parameter name is a 400', async () => {
  for (const name of ['sequence_id', 'sequence_start', 'sequence_end', 'priority', 'binary_data_output', 'headers', 'triton_x']) {
    const r = await request(served.httpPort, 'POST', '/v2/models/params/infer', {
      body: PARAMS_INFER_JSON, headers: { [name]: '1', 'x-fwd-ok': 'yes' },
    });
    assert.equal(r.status, 400, `${name}: ${r.text}`);
    assert.deepEqual(JSON.parse(r.text), { error: reserved(name) });
  }
  // Header names are case-insensitive: a TRITON_ prefix in capitals is still reserved.
  const upper = await request(served.httpPort, 'POST', '/v2/models/params/infer', { body: PARAMS_INFER_JSON, headers: { 'Triton_Enable': '1' } });
  assert.equal(upper.status, 400);
  assert.deepEqual(JSON.parse(upper.text), { error: reserved('triton_enable') });
  // A reserved name the pattern does not match is not forwarded, so not refused; matching ones reach the model.
  const r = await request(served.httpPort, 'POST', '/v2/models/params/infer', {
    body: PARAMS_INFER_JSON, headers: { timeout: '5', 'x-fwd-ok': 'yes', 'x-fwd-priority': 'high' },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(echoedHttp(r.text), { 'x-fwd-ok': 'yes', 'x-fwd-priority': 'high' });
});

test('gRPC: forwarded metadata with a reserved parameter name is INVALID_ARGUMENT (ModelInfer)', async () => {
  for (const name of ['sequence_id', 'priority', 'timeout', 'triton_x']) {
    await assert.rejects(served.client.call('ModelInfer', PARAMS_INFER, { [name]: '1', 'x-fwd-ok': 'yes' }), (err: ServiceError) => {
      assert.equal(err.code, status.INVALID_ARGUMENT, name);
      assert.equal(err.details, reserved(name));
      return true;
    });
  }
  const ok = await served.client.call<pb.ModelInferResponse>('ModelInfer', PARAMS_INFER, { sequence_end: '1', 'x-fwd-ok': 'yes' });
  assert.deepEqual(echoedGrpc(ok), { 'x-fwd-ok': 'yes' });
});

test('gRPC: a ModelStreamInfer stream with reserved forwarded metadata ends with INVALID_ARGUMENT', async () => {
  const err = await new Promise<ServiceError>((resolve, reject) => {
    const stream = served.client.stream({ priority: '3' });
    stream.on('data', () => reject(new Error('no response expected')));
    stream.on('error', resolve);
    stream.on('end', () => reject(new Error('ended without an error')));
    stream.write(PARAMS_INFER as pb.ModelInferRequestInit);
    stream.end();
  });
  assert.equal(err.code, status.INVALID_ARGUMENT);
  assert.equal(err.details, reserved('priority'));
});

/*
 * Not a regression test of the frontend's own padded-value check: Node's HTTP/2 layer (nghttp2, RFC 9113
 * field validation) already drops such fields on receipt, so this passes without that check too. It pins
 * the end-to-end behaviour (Triton's: padded values are never forwarded) should that layer change.
 */
test('gRPC: metadata values with leading or trailing blanks are not forwarded', async () => {
  const res = await served.client.call<pb.ModelInferResponse>('ModelInfer', PARAMS_INFER, {
    'x-fwd-plain': 'v', 'x-fwd-inner': 'a b', 'x-fwd-lead': ' v', 'x-fwd-trail': 'v ', 'x-fwd-both': '  v  ',
  });
  assert.deepEqual(echoedGrpc(res), { 'x-fwd-plain': 'v', 'x-fwd-inner': 'a b' });
});
