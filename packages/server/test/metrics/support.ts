/** Test support for metrics: a gated plug-in backend, Prometheus text parsing, small FP32 requests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceRequestInit } from '../../src/index.js';
import { fp32 } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

/**
 * Controls of the `metrics_gate` backend, shared through globalThis with the backend module (loaded by
 * the server from a temporary backend directory in this same process).
 */
export interface Gate {
  /** Executions that have started. */
  entered: number;
  /** Resolves once the gate is open; executions wait on it. */
  wait(): Promise<void>;
  open(): void;
}

export function installGate(): Gate {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  const gate: Gate = { entered: 0, wait: () => opened, open: () => release() };
  (globalThis as { __inferdMetricsGate?: Gate }).__inferdMetricsGate = gate;
  return gate;
}

/**
 * `metrics_gate`: OUTPUT0 = INPUT0, each execution held until the gate opens; a request whose first
 * element is negative fails in the backend.
 */
const GATE_BACKEND = pluginBackend('metrics_gate', `
          const gate = globalThis.__inferdMetricsGate;
          gate.entered += 1;
          await gate.wait();
          for (const r of requests) {
            const input = r.inputs[0];
            const first = new DataView(input.data.buffer, input.data.byteOffset, input.data.byteLength).getFloat32(0, true);
            if (first < 0) r.respondError(new Error('negative input'));
            else r.respond({ outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: input.shape, data: input.data }] });
          }`);

export function gateBackendDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-metrics-backends-'));
  mkdirSync(join(dir, 'metrics_gate'));
  writeFileSync(join(dir, 'metrics_gate', 'index.js'), GATE_BACKEND);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function fp32Request(model: string, values: readonly number[], extra: Partial<InferenceRequestInit> = {}): InferenceRequestInit {
  return { modelName: model, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, values.length], data: fp32(values) }], ...extra };
}

/** One sample line: `name{labels} value` with labels rendered exactly as the server wrote them. */
export interface PromSample {
  readonly name: string;
  readonly labels: string;
  readonly value: number;
}

export function parseProm(text: string): { samples: PromSample[]; types: Map<string, string>; help: Map<string, string> } {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) {
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) {
      help.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.push({ name: m[1]!, labels: m[2] ?? '', value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return { samples, types, help };
}

/** The value of `name{labels}` (labels as rendered, e.g. `{model="m",version="1"}`); undefined when absent. */
export function sample(text: string, name: string, labels = ''): number | undefined {
  return parseProm(text).samples.find((s) => s.name === name && s.labels === labels)?.value;
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
