/**
 * The platform / backend / default model file table (spec §6.2) and core's auto-complete of those fields
 * (spec §7), following the order of Triton core's AutoCompleteBackendFields: TensorFlow, TensorRT, ONNX
 * Runtime, OpenVINO, PyTorch, Python, then a `<name>.<backend>` model directory.
 */
import { ConfigError } from './errors.js';
import type { ModelConfig } from './types.js';

export interface PlatformInfo { platform: string; backend: string; defaultModelFilename: string }

const row = (platform: string, backend: string, defaultModelFilename: string): PlatformInfo => ({
  platform, backend, defaultModelFilename,
});

const BY_PLATFORM: Readonly<Record<string, PlatformInfo>> = {
  onnxruntime_onnx: row('onnxruntime_onnx', 'onnxruntime', 'model.onnx'),
  pytorch_libtorch: row('pytorch_libtorch', 'pytorch', 'model.pt'),
  libtorch: row('pytorch_libtorch', 'pytorch', 'model.pt'),
  torch_aoti: row('torch_aoti', 'pytorch', 'model.pt2'),
  tensorflow_savedmodel: row('tensorflow_savedmodel', 'tensorflow', 'model.savedmodel'),
  tensorflow_graphdef: row('tensorflow_graphdef', 'tensorflow', 'model.graphdef'),
  tensorrt_plan: row('tensorrt_plan', 'tensorrt', 'model.plan'),
  ensemble: row('ensemble', '', ''),
};

/** What a backend name implies when the config gives no platform (the backend's default platform). */
const BY_BACKEND: Readonly<Record<string, PlatformInfo>> = {
  onnxruntime: BY_PLATFORM['onnxruntime_onnx']!,
  pytorch: BY_PLATFORM['pytorch_libtorch']!,
  tensorflow: BY_PLATFORM['tensorflow_savedmodel']!,
  tensorrt: BY_PLATFORM['tensorrt_plan']!,
  openvino: row('', 'openvino', 'model.xml'),
  python: row('', 'python', 'model.py'),
  dali: row('', 'dali', 'model.dali'),
};

export function platformForBackend(backend: string): PlatformInfo | undefined {
  const info = BY_BACKEND[backend];
  return info === undefined ? undefined : { ...info };
}

export function platformInfo(platform: string): PlatformInfo | undefined {
  const info = BY_PLATFORM[platform];
  return info === undefined ? undefined : { ...info };
}

/**
 * One step of Triton's AutoCompleteBackendFields: `backend` is taken when the platform is one of
 * `platforms`, the file name is `file`, or (nothing given) the version directory holds `file`.
 */
interface Step {
  readonly backend: string;
  readonly file: string;
  readonly platforms: readonly string[];
  /** Platform set when the file was found in the version directory. */
  readonly detectedPlatform: string;
}

const STEPS: readonly Step[] = [
  { backend: 'tensorrt', file: 'model.plan', platforms: ['tensorrt_plan'], detectedPlatform: 'tensorrt_plan' },
  { backend: 'onnxruntime', file: 'model.onnx', platforms: ['onnxruntime_onnx'], detectedPlatform: 'onnxruntime_onnx' },
  { backend: 'openvino', file: 'model.xml', platforms: [], detectedPlatform: '' },
  { backend: 'pytorch', file: 'model.pt', platforms: ['pytorch_libtorch', 'libtorch'], detectedPlatform: 'pytorch_libtorch' },
  { backend: 'pytorch', file: 'model.pt2', platforms: ['torch_aoti'], detectedPlatform: 'torch_aoti' },
  { backend: 'python', file: 'model.py', platforms: [], detectedPlatform: '' },
  // Not in Triton core (DALI models name their backend): a convenience for `model.dali` without config.
  { backend: 'dali', file: 'model.dali', platforms: [], detectedPlatform: '' },
];

/** TensorFlow is keyed by platform rather than backend in Triton, so it comes first and on its own. */
function completeTensorFlow(out: ModelConfig, entries: ReadonlySet<string>): boolean {
  const file = out.default_model_filename ?? '';
  if (!out.platform && (!out.backend || out.backend === 'tensorflow')) {
    if (file === 'model.savedmodel') out.platform = 'tensorflow_savedmodel';
    else if (file === 'model.graphdef') out.platform = 'tensorflow_graphdef';
    else if (file === '' && entries.has('model.graphdef')) out.platform = 'tensorflow_graphdef';
    else if (file === '' && entries.has('model.savedmodel')) out.platform = 'tensorflow_savedmodel';
  }
  const info = BY_PLATFORM[out.platform ?? ''];
  if (info === undefined || info.backend !== 'tensorflow') return false;
  if (!out.backend) out.backend = 'tensorflow';
  if (!out.default_model_filename) out.default_model_filename = info.defaultModelFilename;
  return true;
}

/**
 * Core auto-complete: sets `name`; fills whichever of `platform`/`backend` is missing and
 * `default_model_filename`, detecting them from the entry names of the lexicographically first version
 * directory when the config names neither. Returns a new object; throws ConfigError when nothing
 * identifies the backend and the model directory name has no `.<backend>` suffix.
 */
export function completePlatform(
  config: ModelConfig, modelName: string, firstVersionEntries: readonly string[],
): ModelConfig {
  const out: ModelConfig = { ...config };
  if (!out.name) out.name = modelName;
  const entries = new Set(firstVersionEntries);
  if (completeTensorFlow(out, entries)) return out;

  for (const step of STEPS) {
    const platform = out.platform ?? '';
    const file = out.default_model_filename ?? '';
    if (!out.backend) {
      if (step.platforms.includes(platform) || file === step.file) out.backend = step.backend;
      else if (platform === '' && file === '' && entries.has(step.file)) {
        out.backend = step.backend;
        if (step.detectedPlatform !== '') out.platform = step.detectedPlatform;
      }
    }
    if (out.backend !== step.backend) continue;
    if (step.backend === 'pytorch') return completePyTorch(out);
    const own = BY_BACKEND[step.backend]!;
    if (!out.platform && own.platform !== '') out.platform = own.platform;
    if (!out.default_model_filename) out.default_model_filename = own.defaultModelFilename;
    return out;
  }

  if (!out.backend && !out.platform && !out.default_model_filename) return withCustomBackend(out, modelName);
  return out;
}

/** PyTorch: LibTorch is the default platform; AOTI must be named (model.pt2 or torch_aoti). */
function completePyTorch(out: ModelConfig): ModelConfig {
  if (!out.platform) {
    out.platform = 'pytorch_libtorch';
    if (!out.default_model_filename) out.default_model_filename = 'model.pt';
  } else if (out.platform === 'torch_aoti' && !out.default_model_filename) {
    out.default_model_filename = 'model.pt2';
  }
  return out;
}

/** Triton's last resort: a model directory named `<anything>.<backend>` selects `<backend>`. */
function withCustomBackend(out: ModelConfig, modelName: string): ModelConfig {
  const dot = modelName.indexOf('.');
  if (dot < 0) {
    throw new ConfigError(
      `Invalid model name: Could not determine backend for model '${modelName}' with no backend in model configuration. ` +
        "Expected model name of the form 'model.<backend_name>'.",
    );
  }
  const backend = modelName.slice(dot + 1);
  out.backend = backend;
  out.default_model_filename = `model.${backend}`;
  return out;
}
