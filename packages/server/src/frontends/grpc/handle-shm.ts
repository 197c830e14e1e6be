/**
 * Shared-memory RPCs with client shared memory disabled (spec §1.8): status lists nothing, system
 * register/unregister are refused with Triton's "disabled" text (UNIMPLEMENTED, the gRPC face of
 * HTTP's 501), and CUDA answers as a CPU-only Triton build does.
 */
import type { pb } from '@inferd/protocol';
import { CLIENT_SHM_DISABLED, ServerError } from '../../core/index.js';
import { unary } from './unary.js';

export function sharedMemoryHandlers() {
  return {
    SystemSharedMemoryStatus: unary<pb.SystemSharedMemoryStatusRequest, pb.SystemSharedMemoryStatusResponseInit>((req) => {
      if (req.name !== '') throw ServerError.notFound(`Unable to find system shared memory region: '${req.name}'`);
      return { regions: {} };
    }),
    SystemSharedMemoryRegister: unary<pb.SystemSharedMemoryRegisterRequest, pb.SystemSharedMemoryRegisterResponseInit>(() => {
      throw ServerError.unsupported(CLIENT_SHM_DISABLED);
    }),
    SystemSharedMemoryUnregister: unary<pb.SystemSharedMemoryUnregisterRequest, pb.SystemSharedMemoryUnregisterResponseInit>(() => {
      throw ServerError.unsupported(CLIENT_SHM_DISABLED);
    }),
    CudaSharedMemoryStatus: unary<pb.CudaSharedMemoryStatusRequest, pb.CudaSharedMemoryStatusResponseInit>((req) => {
      if (req.name !== '') throw ServerError.notFound(`Unable to find cuda shared memory region: '${req.name}'`);
      return { regions: {} };
    }),
    CudaSharedMemoryRegister: unary<pb.CudaSharedMemoryRegisterRequest, pb.CudaSharedMemoryRegisterResponseInit>((req) => {
      throw ServerError.invalidArg(`failed to register CUDA shared memory region: '${req.name}', GPUs not supported`);
    }),
    CudaSharedMemoryUnregister: unary<pb.CudaSharedMemoryUnregisterRequest, pb.CudaSharedMemoryUnregisterResponseInit>(() => ({})),
  };
}
