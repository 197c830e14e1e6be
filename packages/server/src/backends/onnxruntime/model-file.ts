/**
 * Finding the model file, and opening a throw-away session to read its signature (auto-complete
 * needs it before any instance worker exists).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ServerError } from '../../core/index.js';
import { sessionMetadata } from './metadata.js';
import type { SessionMetadata } from './types.js';

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

/**
 * Opens the model on the calling thread just long enough to read its signature. Optimizations are
 * off (as in Triton's auto-complete) so this stays quick even for large graphs.
 */
export async function readModelMetadata(modelFile: string): Promise<SessionMetadata> {
  const ort = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelFile, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  } catch (err) {
    throw ServerError.internal(`onnx runtime error: ${(err as Error).message}`, err);
  }
  try {
    return sessionMetadata(session);
  } finally {
    await session.release();
  }
}
