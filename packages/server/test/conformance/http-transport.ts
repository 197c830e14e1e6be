/**
 * The conformance Transport over HTTP/REST with fetch: inputs and outputs always travel in the binary
 * tensor extension (JSON header + raw bytes), errors come back as `{"error": ...}` with the HTTP status.
 */
import { INFERENCE_HEADER_CONTENT_LENGTH } from '@inferd/protocol';
import { tensorBytes, tensorValues } from './tensor-codec.js';
import { TransportError, type InferCall, type InferResult, type Transport } from './transport.js';

const modelPath = (model: string, version?: string) =>
  `/v2/models/${encodeURIComponent(model)}${version === undefined ? '' : `/versions/${encodeURIComponent(version)}`}`;

export function httpTransport(port: number): Transport {
  const base = `http://127.0.0.1:${port}`;

  async function send(method: string, path: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  }

  async function json(method: string, path: string, body?: string): Promise<any> {
    const res = await send(method, path, body, body === undefined ? {} : { 'content-type': 'application/json' });
    const text = await res.text();
    if (res.status !== 200) throw new TransportError(errorText(text), res.status);
    return text === '' ? {} : JSON.parse(text);
  }

  async function ok(path: string): Promise<boolean> {
    const res = await send('GET', path);
    await res.arrayBuffer();
    return res.status === 200;
  }

  return {
    name: 'http',
    live: () => ok('/v2/health/live'),
    ready: () => ok('/v2/health/ready'),
    async modelReady(model, version) {
      // 200 = ready; an error body (unknown model/version) is the same failure gRPC reports.
      const res = await send('GET', `${modelPath(model, version)}/ready`);
      const text = await res.text();
      if (res.status === 200) return true;
      const message = errorText(text);
      if (message === text || message === 'Model version not ready') return false;
      throw new TransportError(message, res.status);
    },
    async metadata(model, version) {
      const m = await json('GET', modelPath(model, version));
      return { name: m.name, versions: m.versions ?? [], platform: m.platform, inputs: m.inputs, outputs: m.outputs };
    },
    config: (model, version) => json('GET', `${modelPath(model, version)}/config`),
    infer: (call) => infer(call),
    async index() {
      const list: { name: string; version: string; state: string }[] = await json('POST', '/v2/repository/index', '{}');
      return list.map((m) => ({ name: m.name, version: m.version ?? '', state: m.state ?? '' }));
    },
    async stats(model, version) {
      const s = await json('GET', `${modelPath(model, version)}/stats`);
      return s.model_stats.map((m: any) => ({
        name: m.name, version: m.version, inference_count: m.inference_count, execution_count: m.execution_count,
        success: m.inference_stats.success.count, fail: m.inference_stats.fail.count,
      }));
    },
    async close() {},
  };

  async function infer(call: InferCall): Promise<InferResult> {
    const blobs = call.inputs.map(tensorBytes);
    const header = {
      ...(call.id === undefined ? {} : { id: call.id }),
      ...(call.parameters === undefined ? {} : { parameters: call.parameters }),
      inputs: call.inputs.map((t, i) => ({
        name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: blobs[i]!.byteLength },
      })),
      ...(call.outputs === undefined
        ? {}
        : {
            outputs: call.outputs.map((o) => ({
              name: o.name,
              parameters: { binary_data: true, ...(o.classification === undefined ? {} : { classification: o.classification }) },
            })),
          }),
    };
    if (call.outputs === undefined) (header as Record<string, unknown>).parameters = { ...call.parameters, binary_data_output: true };
    const head = Buffer.from(JSON.stringify(header));
    const res = await send('POST', `${modelPath(call.model, call.version)}/infer`, Buffer.concat([head, ...blobs]), {
      [INFERENCE_HEADER_CONTENT_LENGTH]: String(head.byteLength),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new TransportError(errorText(body.toString('utf8')), res.status);
    const len = res.headers.get(INFERENCE_HEADER_CONTENT_LENGTH);
    const headerLen = len === null ? body.byteLength : Number(len);
    const reply = JSON.parse(body.subarray(0, headerLen).toString('utf8'));
    let offset = headerLen;
    const outputs = (reply.outputs as any[]).map((o) => {
      const size: number | undefined = o.parameters?.binary_data_size;
      if (size === undefined) throw new Error(`output ${o.name} came back without binary_data_size`);
      const bytes = body.subarray(offset, offset + size);
      offset += size;
      return { name: o.name, datatype: o.datatype, shape: o.shape, data: tensorValues(o.name, o.datatype, o.shape, bytes) };
    });
    return { model_name: reply.model_name, model_version: reply.model_version ?? '', id: reply.id ?? '', outputs };
  }
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the raw text is the best message there is
  }
  return body;
}
