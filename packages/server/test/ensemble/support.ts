/** Test support for ensembles: temp repositories with the example ONNX models and INT32 helpers. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer, type InferenceServer } from '../../src/index.js';
import { Logger } from '../../src/observability/log.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

export const examplesDir = fileURLToPath(new URL('../../../../examples/models', import.meta.url));

/** The example `simple` model (ONNX: INT32 INPUT0, INPUT1 [16] -> sum, difference), as repo files. */
export function simpleModel(name = 'simple'): RepoFiles {
  const config = readFileSync(`${examplesDir}/simple/config.pbtxt`, 'utf8').replace('name: "simple"', `name: "${name}"`);
  return { [`${name}/config.pbtxt`]: config, [`${name}/1/model.onnx`]: readFileSync(`${examplesDir}/simple/1/model.onnx`) };
}

export function int32(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(values).buffer);
}

export function readInt32(data: Uint8Array): number[] {
  return [...new Int32Array(data.slice().buffer)];
}

/** An ensemble config: platform, IO lines and steps given as pbtxt fragments. */
export function ensembleConfig(name: string, body: string, maxBatch = 0): string {
  return [`name: "${name}"`, 'platform: "ensemble"', `max_batch_size: ${maxBatch}`, body].join('\n');
}

/** One step: `step { model_name ... input_map {...} output_map {...} }` fragment. */
export function step(model: string, inputs: Record<string, string>, outputs: Record<string, string>, extra = ''): string {
  const maps = [
    ...Object.entries(inputs).map(([k, v]) => `input_map { key: "${k}" value: "${v}" }`),
    ...Object.entries(outputs).map(([k, v]) => `output_map { key: "${k}" value: "${v}" }`),
  ];
  return `step { model_name: "${model}" ${extra} ${maps.join(' ')} }`;
}

export interface Started {
  readonly server: InferenceServer;
  readonly failed: readonly string[];
  close(): Promise<void>;
}

export async function startServer(
  files: RepoFiles, opts: Partial<Parameters<typeof createInferenceServer>[0]> = {},
): Promise<Started> {
  const repo = makeRepo(files);
  try {
    const { server, failedModels } = await createInferenceServer({
      modelRepository: repo.dir, exitOnError: false, logger: new Logger({ info: false, warning: false, error: false }), ...opts,
    });
    return {
      server,
      failed: failedModels,
      async close() {
        await server.shutdown();
        repo.cleanup();
      },
    };
  } catch (err) {
    repo.cleanup();
    throw err;
  }
}

/**
 * The gated plug-in backend `test_gate`: output i echoes input i (by config position), but each
 * execution is held until the test releases it. Executions are logged (model, request id) in
 * `globalThis.__inferdEnsembleGate` so tests see which steps started and in what order. A request
 * whose parameter `fail_step` names the model fails there.
 */
const GATE_BACKEND = pluginBackend('test_gate', `
          const model = ctx.config.name;
          for (const r of requests) gate.log.push({ model, id: r.id, parameters: r.parameters, priority: r.priority, correlationId: r.correlationId, flags: r.flags, timeoutUs: r.timeoutUs });
          if (!gate.open.has(model)) await new Promise((resolve) => gate.held.push({ model, release: resolve }));
          for (const r of requests) {
            if (r.parameters.fail_step === model) { r.respondError(new Error('step ' + model + ' failed')); continue; }
            const outputs = [];
            for (const { name } of r.requestedOutputs) {
              const at = ctx.spec.outputs.findIndex((o) => o.name === name);
              const source = r.input(ctx.spec.inputs[at]?.name ?? '');
              if (source !== undefined) outputs.push({ ...source, name });
            }
            r.respond({ outputs });
          }`, `const gate = (globalThis.__inferdEnsembleGate ??= { held: [], log: [], open: new Set() });`);

export interface GateEntry {
  readonly model: string;
  readonly id: string;
  readonly parameters: Record<string, unknown>;
  readonly priority: number;
  readonly correlationId: bigint | string;
  readonly flags: number;
  readonly timeoutUs: number;
}

interface GateState {
  held: { model: string; release(): void }[];
  log: GateEntry[];
  open: Set<string>;
}

export const gate = {
  get state(): GateState {
    return ((globalThis as Record<string, unknown>).__inferdEnsembleGate ??= { held: [], log: [], open: new Set() }) as GateState;
  },
  reset(): void {
    const s = gate.state;
    for (const h of s.held.splice(0)) h.release();
    s.log.length = 0;
    s.open.clear();
  },
  /** Models whose executions are held right now, sorted. */
  held(): string[] {
    return gate.state.held.map((h) => h.model).sort();
  },
  /** Releases the held executions of `model`. */
  release(model: string): void {
    const s = gate.state;
    for (const h of s.held.filter((x) => x.model === model)) {
      s.held.splice(s.held.indexOf(h), 1);
      h.release();
    }
  },
  /** Waits (polling every 5 ms, up to 10 s) until `cond` holds. */
  async until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      if (cond()) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`timed out waiting for ${what}`);
  },
};

/** Writes the plug-in backends into a fresh temp directory; returns it (remove with rmSync). */
export function gateBackendDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-ens-backends-'));
  mkdirSync(join(dir, 'test_gate'));
  writeFileSync(join(dir, 'test_gate', 'index.mjs'), GATE_BACKEND);
  return dir;
}

/** config.pbtxt of a gated FP32 model with one input and one output per name pair. */
export function gatedConfig(inputs: readonly string[], outputs: readonly string[], maxBatch = 0, dims = '[ -1 ]'): string {
  const io = (names: readonly string[]) => names.map((n) => `{ name: "${n}" data_type: TYPE_FP32 dims: ${dims} }`).join(', ');
  return ['backend: "test_gate"', `max_batch_size: ${maxBatch}`, `input [ ${io(inputs)} ]`, `output [ ${io(outputs)} ]`].join('\n');
}
