/**
 * The conformance Transport over gRPC with the test client built from our protos: inputs as
 * raw_input_contents, outputs from raw_output_contents, errors as the call's status code and details.
 */
import { connect } from '../support/grpc-client.js';
import { tensorBytes, tensorValues } from './tensor-codec.js';
import { TransportError, type InferCall, type InferResult, type Transport } from './transport.js';

type Param = { bool_param: boolean } | { int64_param: string } | { double_param: number } | { string_param: string };

function toParam(v: string | number | boolean): Param {
  if (typeof v === 'string') return { string_param: v };
  if (typeof v === 'boolean') return { bool_param: v };
  return Number.isInteger(v) ? { int64_param: String(v) } : { double_param: v };
}

export function grpcTransport(port: number): Transport {
  const client = connect(port);

  async function call(method: string, request: unknown): Promise<any> {
    try {
      return await client.call(method, request);
    } catch (err) {
      const e = err as { code?: number; details?: string };
      if (typeof e.code === 'number' && typeof e.details === 'string') throw new TransportError(e.details, e.code);
      throw err;
    }
  }

  const modelReady = async (name: string, version = '') => (await call('ModelReady', { name, version })).ready as boolean;

  return {
    name: 'grpc',
    live: async () => (await call('ServerLive', {})).live,
    ready: async () => (await call('ServerReady', {})).ready,
    modelReady: (model, version) => modelReady(model, version),
    async metadata(model, version = '') {
      const m = await call('ModelMetadata', { name: model, version });
      const tensors = (list: any[]) => list.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) }));
      return { name: m.name, versions: m.versions, platform: m.platform, inputs: tensors(m.inputs), outputs: tensors(m.outputs) };
    },
    config: async (model, version = '') => (await call('ModelConfig', { name: model, version })).config,
    infer: (c) => infer(c),
    stream: (c) => stream(c),
    async index() {
      const res = await call('RepositoryIndex', {});
      return res.models.map((m: any) => ({ name: m.name, version: m.version, state: m.state }));
    },
    async stats(model, version = '') {
      const res = await call('ModelStatistics', { name: model, version });
      return res.model_stats.map((m: any) => ({
        name: m.name, version: m.version, inference_count: Number(m.inference_count), execution_count: Number(m.execution_count),
        success: Number(m.inference_stats.success.count), fail: Number(m.inference_stats.fail.count),
      }));
    },
    async close() {
      client.close();
    },
  };

  function inferRequest(c: InferCall) {
    const parameters = Object.fromEntries(Object.entries(c.parameters ?? {}).map(([k, v]) => [k, toParam(v)]));
    return {
      model_name: c.model, model_version: c.version ?? '', id: c.id ?? '', parameters,
      inputs: c.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      outputs: (c.outputs ?? []).map((o) => ({
        name: o.name,
        parameters: o.classification === undefined ? {} : { classification: { int64_param: String(o.classification) } },
      })),
      raw_input_contents: c.inputs.map((t) => Buffer.from(tensorBytes(t))),
    };
  }

  function result(res: any): InferResult {
    const outputs = (res.outputs as any[]).map((o, i) => {
      const shape = o.shape.map(Number) as number[];
      return { name: o.name, datatype: o.datatype, shape, data: tensorValues(o.name, o.datatype, shape, res.raw_output_contents[i]) };
    });
    return { model_name: res.model_name, model_version: res.model_version, id: res.id, outputs };
  }

  async function infer(c: InferCall): Promise<InferResult> {
    return result(await call('ModelInfer', inferRequest(c)));
  }

  /** One request on its own stream, half-closed at once; in-band errors become a TransportError. */
  function stream(c: InferCall): Promise<InferResult[]> {
    return new Promise((resolve, reject) => {
      const s = client.stream();
      const out: InferResult[] = [];
      let failed: Error | undefined;
      s.on('data', (m: any) => {
        if (m.error_message !== '') failed ??= new TransportError(m.error_message, -1);
        else out.push(result(m.infer_response));
      });
      s.on('error', reject);
      s.on('end', () => (failed === undefined ? resolve(out) : reject(failed)));
      s.write(inferRequest(c) as any);
      s.end();
    });
  }
}
