/**
 * The ONNX Runtime backend (`backend: "onnxruntime"`, platform `onnxruntime_onnx`). Each instance is a
 * worker thread owning one InferenceSession, so inference never blocks the main event loop.
 */
import type { Backend, BackendModel, BackendModelContext } from '../contract.js';
import { OnnxModel } from './model.js';

export const backend: Backend = {
  name: 'onnxruntime',
  async createModel(ctx: BackendModelContext): Promise<BackendModel> {
    return new OnnxModel(ctx);
  },
};

export default backend;
export { autoCompleteConfig, DEFAULT_MAX_BATCH_SIZE } from './auto-complete.js';
export { sessionOptionsFor } from './session-options.js';
