/** Test support for ensembles: temp repositories with the example ONNX models and INT32 helpers. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInferenceServer, type InferenceServer } from '../../src/index.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';

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
    const { server, failedModels } = await createInferenceServer({ modelRepository: repo.dir, exitOnError: false, ...opts });
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
