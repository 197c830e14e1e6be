/**
 * The `tritonserver` alias's argument rewrite: KServe's and Triton's own manifests start inferd with
 * tritonserver's command line unchanged. inferd's serve flags already carry tritonserver's names, so
 * what is left here is getopt_long's behaviour that commander lacks and Triton's flags for features
 * inferd has no counterpart of:
 * - an unambiguous prefix of a long flag (`--model-repo=/m`) means that flag, as getopt_long accepts;
 * - flags of Triton-only frontends and GPU/TensorRT tuning are dropped with a warning (their values
 *   too), so a manifest that sets them still starts;
 * - anything else unknown stays, and the parser refuses it as tritonserver refuses an unknown flag.
 */
import { SERVE_FLAGS } from './flags.js';

/** Triton flags with a value that inferd does not implement (SageMaker/Vertex AI frontends' extras, old TF knobs). */
export const TRITON_ONLY_FLAGS: readonly string[] = [
  'sagemaker-safe-port-range', 'sagemaker-thread-count', 'vertex-ai-port', 'vertex-ai-thread-count',
  'vertex-ai-default-model', 'allow-gpu-metrics', 'gpu-metrics-interval-ms', 'tf-gpu-memory-fraction',
  'tf-allow-soft-placement', 'tf-add-vgpu', 'backend-config-file', 'disable-auto-complete-config-file',
  'enable-model-namespacing',
].filter((name) => !SERVE_FLAGS.some((d) => d.name === name));

export interface Rewritten {
  readonly args: string[];
  readonly warnings: string[];
}

function expand(name: string): string {
  if (SERVE_FLAGS.some((d) => d.name === name) || TRITON_ONLY_FLAGS.includes(name)) return name;
  const matches = [...SERVE_FLAGS.map((d) => d.name), ...TRITON_ONLY_FLAGS].filter((n) => n.startsWith(name));
  return matches.length === 1 ? matches[0]! : name;
}

/** Rewrites tritonserver's arguments (without the program name) into `inferd serve`'s. */
export function rewriteTritonArgs(argv: readonly string[]): Rewritten {
  const args: string[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(=.*)?$/s.exec(arg);
    if (m === null) {
      args.push(arg);
      continue;
    }
    const name = expand(m[1]!);
    if (TRITON_ONLY_FLAGS.includes(name)) {
      // Its value is the next word unless given with '='.
      if (m[2] === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) i += 1;
      warnings.push(`tritonserver: --${name} has no counterpart in inferd; ignored`);
      continue;
    }
    args.push(`--${name}${m[2] ?? ''}`);
  }
  return { args, warnings };
}
