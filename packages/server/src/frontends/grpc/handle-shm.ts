/**
 * Shared-memory RPCs (spec §1.8, §5.1): system regions live in the server's SystemSharedMemory registry,
 * which refuses register/unregister with Triton's "disabled" text (UNIMPLEMENTED, the gRPC face of
 * HTTP's 501) unless --allow-client-shm; CUDA answers as a CPU-only Triton build does.
 */
import type { pb } from '@inferd/protocol';
import { ServerError, type SystemSharedMemory } from '../../core/index.js';
import { unary } from './unary.js';

export function sharedMemoryHandlers(shm: SystemSharedMemory) {
  return {
    SystemSharedMemoryStatus: unary<pb.SystemSharedMemoryStatusRequest, pb.SystemSharedMemoryStatusResponseInit>((req) => {
      const regions: Record<string, pb.SystemSharedMemoryStatusResponse_RegionStatusInit> = {};
      for (const r of shm.status(req.name)) regions[r.name] = { name: r.name, key: r.key, offset: r.offset, byte_size: r.byte_size };
      return { regions };
    }),
    SystemSharedMemoryRegister: unary<pb.SystemSharedMemoryRegisterRequest, pb.SystemSharedMemoryRegisterResponseInit>((req) => {
      // uint64 fields arrive as decimal strings; sizes beyond 2^53 fail the registry's range check.
      shm.register(req.name, req.key, Number(req.offset), Number(req.byte_size));
      return {};
    }),
    SystemSharedMemoryUnregister: unary<pb.SystemSharedMemoryUnregisterRequest, pb.SystemSharedMemoryUnregisterResponseInit>((req) => {
      shm.unregister(req.name);
      return {};
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
