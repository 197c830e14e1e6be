/** inferd's own HTTP API, as the console calls it (same origin: the page is served by the server it shows). */

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
  return body;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await parse(await fetch(path))) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  return (await parse(res)) as T;
}

export async function getText(path: string): Promise<string> {
  const res = await fetch(path);
  if (!res.ok) throw new ApiError(res.status, `HTTP ${res.status}`);
  return res.text();
}

export interface IndexRow { name: string; version?: string; state?: string; reason?: string }
export interface TensorMeta { name: string; datatype: string; shape: number[] }
export interface ModelMetadata { name: string; versions?: string[]; platform: string; inputs: TensorMeta[]; outputs: TensorMeta[] }
export interface ServerMetadata { name: string; version: string; extensions: string[] }
/** A model's config in Triton's /config JSON shape (snake_case, as the server renders it). */
export type ModelConfig = Record<string, unknown> & { name?: string; platform?: string; backend?: string; max_batch_size?: number };

const m = (name: string): string => `/v2/models/${encodeURIComponent(name)}`;

export const api = {
  server: () => getJson<ServerMetadata>('/v2'),
  index: () => postJson<IndexRow[]>('/v2/repository/index', {}),
  metadata: (name: string) => getJson<ModelMetadata>(m(name)),
  config: (name: string) => getJson<ModelConfig>(`${m(name)}/config`),
  stats: () => getJson<{ model_stats: ModelStats[] }>('/v2/models/stats'),
  metrics: () => getText('/console/api/metrics'),
  traces: () => getJson<{ traces: TraceRecord[] }>('/console/api/traces'),
  load: (name: string, config?: string) =>
    postJson<unknown>(`/v2/repository/models/${encodeURIComponent(name)}/load`, config === undefined ? {} : { parameters: { config } }),
  unload: (name: string) => postJson<unknown>(`/v2/repository/models/${encodeURIComponent(name)}/unload`, {}),
  traceSetting: (update?: Record<string, unknown>) =>
    update === undefined ? getJson<Record<string, unknown>>('/v2/trace/setting') : postJson<Record<string, unknown>>('/v2/trace/setting', update),
};

export interface Duration { count: number; ns: number }
export interface ModelStats {
  name: string;
  version: string;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output' | 'cache_hit' | 'cache_miss', Duration>;
  batch_stats?: { batch_size: number; compute_infer: Duration }[];
}

export interface TraceRecord {
  id: number;
  parentId: number;
  modelName: string;
  modelVersion: number;
  requestId: string;
  protocol?: string;
  timestamps: [string, number][];
}
