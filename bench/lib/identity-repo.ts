// The repository both overhead benches serve: the example ONNX identity model, and the same I/O on the
// built-in JS identity backend (protocol + core cost without the worker-thread hop).
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function identityBenchRepo(): string {
  const examples = fileURLToPath(new URL('../../examples/models', import.meta.url));
  const repo = mkdtempSync(join(tmpdir(), 'inferd-bench-'));
  symlinkSync(join(examples, 'identity_fp32'), join(repo, 'identity_fp32'));
  // The same model.onnx with nothing but its backend named: auto-complete gives it max_batch_size 4 and
  // dynamic batching, as Triton's onnxruntime backend does for a model with a variable first dimension.
  mkdirSync(join(repo, 'identity_fp32_auto', '1'), { recursive: true });
  symlinkSync(join(examples, 'identity_fp32', '1', 'model.onnx'), join(repo, 'identity_fp32_auto', '1', 'model.onnx'));
  writeFileSync(join(repo, 'identity_fp32_auto', 'config.pbtxt'), 'backend: "onnxruntime"\n');
  mkdirSync(join(repo, 'identity_js', '1'), { recursive: true });
  writeFileSync(
    join(repo, 'identity_js', 'config.pbtxt'),
    `backend: "identity"\nmax_batch_size: 8\ninput [{ name: "INPUT0" data_type: TYPE_FP32 dims: [-1] }]\n` +
      `output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [-1] }]\ninstance_group [{ count: 1 kind: KIND_CPU }]\n`,
  );
  return repo;
}
