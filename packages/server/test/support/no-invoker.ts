/** The invoker of a backend driven without a server (unit tests): every call is refused as before start-up. */
import { ServerError, type ModelInvoker } from '../../src/core/index.js';

export const noInvoker: ModelInvoker = {
  inferStream() {
    throw ServerError.of('SERVER_STARTING');
  },
  infer() {
    return Promise.reject(ServerError.of('SERVER_STARTING'));
  },
};
