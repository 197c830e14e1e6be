/**
 * `--sweep -i http|grpc`: the candidates are tried on the live server through explicit model control.
 * Each one is a reload of the model with a `config` override (the model's config as the server
 * reports it, with the candidate's instance_group / dynamic_batching), measured once the model is
 * ready again. Afterwards the model is reloaded with the config it had before the sweep — the
 * server's /config JSON as fetched at the start — unless `--sweep-apply` asks to leave the winner loaded.
 */
import { GrpcClient, HttpClient, type InferenceClient } from '@inferd/client';
import { ServerError, parseModelConfigJson, type ModelConfig } from 'inferd';
import type { PerfOptions } from './options.js';
import type { LevelResult } from './report.js';
import { runPerf, type PerfIo } from './run.js';
import type { SweepTarget } from './sweep-target.js';

/** Triton's (and inferd's) answer to a load request when the server is not in explicit mode. */
const REFUSED = /not allowed if polling is enabled/;
/** How long a loaded model may take to report ready before the sweep gives up. */
const READY_TIMEOUT_MS = 60_000;

/** model_config.proto's oneofs: gRPC-decoded configs name the member that is set in a field of the oneof's name. */
const ONEOFS = new Set(['policy_choice', 'state_data', 'strategy_choice', 'input_data_type', 'metric_options', 'scheduling_choice']);

/**
 * A config as a client returned it -> the /config JSON shape the load API's `config` override takes.
 * HTTP's already is; gRPC's (protobuf-decoded) also has nulls for unset messages and the oneof names.
 */
export function configJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(configJson);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) continue;
    if (ONEOFS.has(k) && typeof v === 'string' && Object.hasOwn(obj, v)) continue;
    out[k] = configJson(v);
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function loadWith(client: InferenceClient, o: PerfOptions, config: string | Readonly<Record<string, unknown>>): Promise<void> {
  try {
    await client.loadModel(o.modelName, { config });
  } catch (err) {
    const message = (err as Error).message;
    if (REFUSED.test(message)) {
      throw ServerError.unsupported(
        `--sweep -i ${o.transport} loads each candidate config on the server, which refused (${message}): ` +
          'start the server with --model-control-mode=explicit (and --load-model), or use -i inprocess',
      );
    }
    throw ServerError.unavailable(`--sweep: loading '${o.modelName}' with a candidate config failed: ${message}`);
  }
  // The load call returns once the load settled; readiness is what the measurement needs, so wait for it.
  const version = o.modelVersion === '' ? undefined : o.modelVersion;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await client.isModelReady(o.modelName, version))) {
    if (Date.now() > deadline) throw ServerError.unavailable(`--sweep: '${o.modelName}' did not become ready within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

export async function openRemoteSweepTarget(o: PerfOptions, io: PerfIo, apply: boolean): Promise<SweepTarget> {
  const client: InferenceClient = o.transport === 'http' ? new HttpClient(o.url) : new GrpcClient(o.url);
  let original: Record<string, unknown>;
  try {
    original = configJson(await client.getModelConfig(o.modelName, o.modelVersion === '' ? undefined : o.modelVersion)) as Record<string, unknown>;
  } catch (err) {
    client.close();
    throw ServerError.unavailable(`--sweep: cannot read the config of '${o.modelName}' from ${o.url} (is it loaded?): ${(err as Error).message}`);
  }
  const base: ModelConfig = { ...parseModelConfigJson(original), name: o.modelName };
  /** Whether a candidate was loaded, so the original config has to come back. */
  let changed = false;
  return {
    base,
    async measure(config: ModelConfig): Promise<readonly LevelResult[]> {
      changed = true;
      await loadWith(client, o, JSON.stringify(config));
      return (await runPerf({ ...o, csvFile: undefined }, { ...io, quiet: true })).results;
    },
    async finish(best: ModelConfig | undefined): Promise<string | undefined> {
      if (apply && best !== undefined) {
        await loadWith(client, o, JSON.stringify(best));
        return `Left the best configuration loaded on the server (--sweep-apply).`;
      }
      if (!changed) return undefined;
      await loadWith(client, o, original);
      return `Reloaded '${o.modelName}' on the server with its configuration from before the sweep` +
        `${apply ? ' (nothing met the budget, so --sweep-apply had nothing to apply)' : ''}.`;
    },
    close: async () => client.close(),
  };
}
