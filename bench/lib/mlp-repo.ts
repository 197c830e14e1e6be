// A small ONNX MLP built with our GraphBuilder (no download): INPUT0 [batch, 64] FP32 -> MatMul 64x256
// -> Add -> Relu -> MatMul 256x64 -> Add -> OUTPUT0 [batch, 64]. Small enough that per-request overhead
// (HTTP, scheduling, the worker-thread hop) dominates one execution, which is what batching amortizes.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../../scripts/onnx-builder.js';
import { uniformWeights } from './weights.js';

export const MLP_IN = 64;
export const MLP_HIDDEN = 256;
export const MLP_OUT = 64;

/** Deterministic small weights in [-scale, scale). */
function weights(n: number, seed: number, scale: number): number[] {
  return Array.from(uniformWeights(n, seed, scale));
}

export function mlpModel(): Uint8Array {
  return new GraphBuilder('mlp_64_256_64')
    .input('INPUT0', 'FLOAT', ['batch', MLP_IN])
    .initializer('W1', 'FLOAT', [MLP_IN, MLP_HIDDEN], weights(MLP_IN * MLP_HIDDEN, 1, 1 / Math.sqrt(MLP_IN)))
    .initializer('B1', 'FLOAT', [MLP_HIDDEN], weights(MLP_HIDDEN, 2, 0.1))
    .initializer('W2', 'FLOAT', [MLP_HIDDEN, MLP_OUT], weights(MLP_HIDDEN * MLP_OUT, 3, 1 / Math.sqrt(MLP_HIDDEN)))
    .initializer('B2', 'FLOAT', [MLP_OUT], weights(MLP_OUT, 4, 0.1))
    .node('MatMul', ['INPUT0', 'W1'], ['h0'])
    .node('Add', ['h0', 'B1'], ['h1'])
    .node('Relu', ['h1'], ['h2'])
    .node('MatMul', ['h2', 'W2'], ['h3'])
    .node('Add', ['h3', 'B2'], ['OUTPUT0'])
    .output('OUTPUT0', 'FLOAT', ['batch', MLP_OUT])
    .toBytes();
}

/**
 * A temp repository holding the MLP once per entry of `models` (name -> extra config lines), all with
 * the full I/O spelled out so auto-complete leaves the scheduling exactly as written.
 */
export function mlpBenchRepo(models: Readonly<Record<string, string>>, maxBatchSize: number): string {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-bench-mlp-'));
  const model = mlpModel();
  for (const [name, extra] of Object.entries(models)) {
    mkdirSync(join(repo, name, '1'), { recursive: true });
    writeFileSync(join(repo, name, '1', 'model.onnx'), model);
    writeFileSync(
      join(repo, name, 'config.pbtxt'),
      `platform: "onnxruntime_onnx"\nmax_batch_size: ${maxBatchSize}\n` +
        `input [{ name: "INPUT0" data_type: TYPE_FP32 dims: [${MLP_IN}] }]\n` +
        `output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [${MLP_OUT}] }]\n${extra}\n`,
    );
  }
  return repo;
}
