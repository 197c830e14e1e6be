/**
 * Shared-memory RPCs (spec §1.8, §5.1): system regions live in the server's SystemSharedMemory registry,
 * which refuses register/unregister with Triton's "disabled" text (UNIMPLEMENTED, the gRPC face of
 * HTTP's 501) unless --allow-client-shm; CUDA regions likewise in its CudaSharedMemory registry.
 */
import type { pb } from '@inferd/protocol';
import type { CudaSharedMemory, SystemSharedMemory } from '../../core/index.js';
import { unary } from './unary.js';

export function sharedMemoryHandlers(shm: SystemSharedMemory, cuda: CudaSharedMemory) {
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
      const regions: Record<string, pb.CudaSharedMemoryStatusResponse_RegionStatusInit> = {};
      for (const r of cuda.status(req.name)) regions[r.name] = { name: r.name, device_id: r.device_id, byte_size: r.byte_size };
      return { regions };
    }),
    // Triton reads 64 bytes from raw_handle whatever its length; the registry checks it (HTTP's text).
    CudaSharedMemoryRegister: unary<pb.CudaSharedMemoryRegisterRequest, pb.CudaSharedMemoryRegisterResponseInit>(
      (req) => cuda.register(req.name, req.raw_handle, Number(req.device_id), Number(req.byte_size)).then(() => ({})),
    ),
    CudaSharedMemoryUnregister: unary<pb.CudaSharedMemoryUnregisterRequest, pb.CudaSharedMemoryUnregisterResponseInit>((req) => {
      cuda.unregister(req.name);
      return {};
    }),
  };
}
