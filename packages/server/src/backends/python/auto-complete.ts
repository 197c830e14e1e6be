/**
 * Python auto-complete (spec §10): a throw-away stub imports model.py and runs its static
 * `auto_complete_config(pb_utils.ModelConfig)` on the config in /config JSON form. It answers the
 * top-level fields the model changed; they replace the config's own (parsed back with the strict JSON
 * config parser), everything else is left exactly as it was.
 */
import { parseModelConfigJson, renderConfigJson, type ModelConfig } from '../../config/index.js';
import { ServerError } from '../../core/index.js';
import type { BackendLogger } from '../contract.js';
import { withInstallHint } from './missing-module.js';
import { StubProcess } from './stub-process.js';

export interface AutoCompleteOptions {
  readonly modelName: string;
  readonly interpreter: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stubDir: string;
  readonly modelPath: string;
  readonly log: BackendLogger;
}

export async function pythonAutoComplete(config: ModelConfig, o: AutoCompleteOptions): Promise<ModelConfig> {
  const rendered = { ...renderConfigJson(config), name: config.name || o.modelName };
  const fail = (message: string): ServerError => ServerError.invalidArg(
    `failed to auto-complete the configuration of Python model '${o.modelName}': ${withInstallHint(message, o.interpreter)}`,
  );
  let settle!: (result: { changed?: Record<string, unknown>; error?: string }) => void;
  const answered = new Promise<{ changed?: Record<string, unknown>; error?: string }>((resolve) => (settle = resolve));
  const stub = new StubProcess({
    interpreter: o.interpreter,
    ...(o.env === undefined ? {} : { env: o.env }),
    stubDir: o.stubDir,
    modelPath: o.modelPath,
    instanceName: `${o.modelName}_auto_complete`,
    log: o.log,
    onFrame: (head) => {
      if (head.t === 'auto_completed') settle({ changed: head['changed'] as Record<string, unknown> });
      else if (head.t === 'auto_complete_error') settle({ error: String(head['message']) });
      else if (head.t === 'log') o.log.info(`${o.modelName}: ${String(head['message'])}`);
    },
    onExit: (description, lastError) =>
      settle({ error: `the stub ${description} before answering${lastError === undefined ? '' : `: ${lastError}`}` }),
  });
  try {
    stub.send({ t: 'auto_complete', config: rendered });
  } catch {
    // The exit handler answers.
  }
  const result = await answered;
  await stub.stop(5000);
  if (result.error !== undefined) throw fail(result.error);
  const changed = result.changed ?? {};
  if (Object.keys(changed).length === 0) return config;
  let partial: ModelConfig;
  try {
    partial = parseModelConfigJson(changed);
  } catch (err) {
    throw fail((err as Error).message);
  }
  return { ...config, ...partial };
}
