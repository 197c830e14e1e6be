/**
 * ONNX Runtime string tensors pass through JS strings and C strings: an element with a NUL byte loses
 * everything after it, and invalid UTF-8 is mangled. Such elements are refused with a clear message
 * instead of being silently truncated.
 */
import { isUtf8 } from 'node:buffer';
import { decodeBytesElements } from '@inferd/protocol';
import { ServerError } from '../../core/index.js';

/** Throws INVALID_ARG when an element of a BYTES tensor cannot survive an ORT string tensor. */
export function checkOrtStrings(data: Uint8Array, inputName: string, modelName: string): void {
  const elements = decodeBytesElements(data);
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    if (e.includes(0)) {
      throw ServerError.invalidArg(
        `input '${inputName}' for model '${modelName}': BYTES element ${i} contains a NUL byte; ONNX Runtime string ` +
          'tensors end at the first NUL, so this element cannot be passed without losing data',
      );
    }
    if (!isUtf8(e)) {
      throw ServerError.invalidArg(
        `input '${inputName}' for model '${modelName}': BYTES element ${i} is not valid UTF-8; ONNX Runtime string ` +
          'tensors hold UTF-8 text only',
      );
    }
  }
}
