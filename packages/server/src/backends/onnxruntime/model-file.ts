/** Finding the model file (its signature is read on a pool thread: SessionPool.metadata). */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ServerError } from '../../core/index.js';

/**
 * The model file to load: Triton accepts `model.onnx` as a file or as a directory holding
 * `model.onnx` (external-data models). UNAVAILABLE with Triton's wording when it is missing.
 */
export function resolveModelFile(modelPath: string, modelName: string): string {
  let path = modelPath;
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.onnx');
  if (!existsSync(path)) throw ServerError.unavailable(`unable to find '${path}' for model instance '${modelName}'`);
  return path;
}
