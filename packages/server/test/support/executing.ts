/**
 * Waits on the server's own `inferd:execution` diagnostics event instead of a fixed sleep: resolves once
 * a request with this id has been put on a model instance (the server runs in this process).
 */
import diagnostics from 'node:diagnostics_channel';
import { INFERD_CHANNELS, type ExecutionMessage } from '../../src/core/index.js';

export function executing(requestId: string): Promise<void> {
  return new Promise((resolve) => {
    const seen = (message: unknown): void => {
      if (!(message as ExecutionMessage).requestIds.includes(requestId)) return;
      diagnostics.unsubscribe(INFERD_CHANNELS.execution, seen);
      resolve();
    };
    diagnostics.subscribe(INFERD_CHANNELS.execution, seen);
  });
}
