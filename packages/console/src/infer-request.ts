/**
 * Building a KServe v2 infer request from what the Try it form holds: JSON tensors, or the binary
 * tensor extension when an input is raw bytes (an encoded image as one BYTES element: uint32 LE length
 * prefix, then the bytes), so a photo is not inflated into a JSON string.
 */

export interface FormInput {
  name: string;
  datatype: string;
  shape: number[];
  /** Flat element values (numbers, booleans or strings)… */
  values?: (number | string | boolean)[];
  /** …or one raw BYTES element. */
  bytes?: Uint8Array;
}

export interface FormOutput { name: string; datatype?: string; classification?: number }

export interface BuiltRequest {
  body: Uint8Array | string;
  headers: Record<string, string>;
  /** The JSON part, for the code snippets. */
  json: Record<string, unknown>;
}

function outputsJson(outputs: FormOutput[]): Record<string, unknown>[] {
  return outputs.map((o) => ({ name: o.name, parameters: o.classification ? { classification: o.classification } : {} }));
}

export function buildRequest(inputs: FormInput[], outputs: FormOutput[], parameters: Record<string, unknown>): BuiltRequest {
  const binary = inputs.some((i) => i.bytes !== undefined);
  const json: Record<string, unknown> = {
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    inputs: inputs.map((i) => (i.bytes !== undefined
      ? { name: i.name, datatype: i.datatype, shape: i.shape, parameters: { binary_data_size: i.bytes.byteLength + 4 } }
      : { name: i.name, datatype: i.datatype, shape: i.shape, data: i.values ?? [] })),
    outputs: outputsJson(outputs),
  };
  const header = JSON.stringify(json);
  if (!binary) return { body: header, headers: { 'Content-Type': 'application/json' }, json };
  const head = new TextEncoder().encode(header);
  const parts: Uint8Array[] = [head];
  for (const i of inputs) {
    if (i.bytes === undefined) continue;
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, i.bytes.byteLength, true);
    parts.push(len, i.bytes);
  }
  const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.byteLength;
  }
  return {
    body,
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(head.byteLength) },
    json,
  };
}

export interface OutputTensor { name: string; datatype: string; shape: number[]; data: (number | string | boolean)[] }

export async function sendInfer(model: string, req: BuiltRequest): Promise<{ outputs: OutputTensor[]; ms: number }> {
  const start = performance.now();
  const res = await fetch(`/v2/models/${encodeURIComponent(model)}/infer`, { method: 'POST', headers: req.headers, body: req.body as BodyInit });
  const text = await res.text();
  const ms = performance.now() - start;
  let body: { error?: string; outputs?: OutputTensor[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return { outputs: body.outputs ?? [], ms };
}
