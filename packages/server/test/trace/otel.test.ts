/**
 * Trace mode `opentelemetry`: spans exported over OTLP/HTTP to a receiver in the test, children of the
 * caller's span given by a W3C `traceparent` (HTTP header and gRPC metadata).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from '../support/http-harness.js';
import { identityRequest, startTraced } from './harness.js';

interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string;
  startTimeUnixNano: string | number; endTimeUnixNano: string | number;
  attributes: { key: string; value: Record<string, unknown> }[]; events?: { name: string }[];
}

/** A minimal OTLP/HTTP JSON receiver: collects every span of every POST. */
async function receiver(): Promise<{ url: string; spans: OtlpSpan[]; resources: unknown[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const resources: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        resources.push(rs.resource);
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, resources, close: () => new Promise((r) => server.close(() => r())) };
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_HTTP = 'b7ad6b7169203331';
const PARENT_GRPC = 'c7ad6b7169203332';

test('OTLP export: InferRequest, model and compute spans, parented by the incoming traceparent', async () => {
  const rx = await receiver();
  // rate=0: only requests that carry a caller's context are traced (Triton's documented recipe).
  const h = await startTraced([
    'mode=opentelemetry', 'level=TIMESTAMPS', 'rate=0', `opentelemetry,url=${rx.url}`,
    'opentelemetry,resource=service.name=inferd-test', 'opentelemetry,bsp_schedule_delay=60000',
  ]);
  try {
    const settings = JSON.parse((await request(h.httpPort, 'GET', '/v2/trace/setting')).text);
    assert.equal(settings.trace_mode, 'opentelemetry');
    assert.equal(settings.url, rx.url);
    assert.equal(settings.trace_file, undefined);
    assert.equal((await request(h.httpPort, 'POST', '/v2/models/ident/infer', { body: identityRequest('untraced') })).status, 200);
    const r = await request(h.httpPort, 'POST', '/v2/models/ident/infer', {
      body: identityRequest('h1'), headers: { traceparent: `00-${TRACE_ID}-${PARENT_HTTP}-01` },
    });
    assert.equal(r.status, 200);
    await h.grpc.call('ModelInfer', {
      model_name: 'other', id: 'g1',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }],
    }, { traceparent: `00-${TRACE_ID}-${PARENT_GRPC}-01` });
    await h.tracer.flush();
    assert.equal(rx.spans.length, 6, rx.spans.map((s) => s.name).join(','));
    for (const s of rx.spans) assert.equal(s.traceId, TRACE_ID);
    const roots = rx.spans.filter((s) => s.name === 'InferRequest');
    assert.deepEqual(roots.map((s) => s.parentSpanId).sort(), [PARENT_HTTP, PARENT_GRPC]);
    for (const root of roots) {
      const model = rx.spans.find((s) => s.parentSpanId === root.spanId)!;
      assert.ok(model.name === 'ident' || model.name === 'other');
      const attrs = Object.fromEntries(model.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
      assert.equal(attrs['triton.model_name'], model.name);
      assert.equal(attrs['triton.request_id'], model.name === 'ident' ? 'h1' : 'g1');
      assert.deepEqual(model.events?.map((e) => e.name), ['REQUEST_START', 'QUEUE_START', 'REQUEST_END']);
      const compute = rx.spans.find((s) => s.parentSpanId === model.spanId)!;
      assert.equal(compute.name, 'compute');
      assert.deepEqual(compute.events?.map((e) => e.name).filter((n) => n === 'COMPUTE_START' || n === 'COMPUTE_END'), ['COMPUTE_START', 'COMPUTE_END']);
      assert.ok(BigInt(root.startTimeUnixNano) <= BigInt(model.startTimeUnixNano));
      assert.ok(BigInt(model.startTimeUnixNano) <= BigInt(compute.startTimeUnixNano));
      assert.ok(BigInt(compute.endTimeUnixNano) <= BigInt(model.endTimeUnixNano));
      assert.ok(BigInt(model.endTimeUnixNano) <= BigInt(root.endTimeUnixNano));
    }
    assert.match(JSON.stringify(rx.resources), /inferd-test/);
  } finally {
    await h.close();
    await rx.close();
  }
});
