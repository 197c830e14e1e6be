"""inferd's CUDA memory agent: opens clients' cudaIpcMemHandle_t for the server and copies bytes
between their device memory and a staging file the server reads and writes with positional I/O.

Node cannot call CUDA, so the server runs this one long-lived process (stdlib only: it runs as
`python3 -S`). It loads the CUDA driver API (libcuda.so.1, present wherever the NVIDIA driver is).
fd 3 is the staging file (already sized by the server; argv[1] is its size). One command a line on
stdin, one answer a line on stdout, in order:
  open SEQ DEVICE BYTE_SIZE HANDLE_HEX -> ok SEQ ID
  read SEQ ID OFFSET SIZE             -> ok SEQ   (device bytes now at staging offset 0)
  write SEQ ID OFFSET SIZE            -> ok SEQ   (staging bytes [0, SIZE) now in device memory)
  close SEQ ID                        -> ok SEQ
Errors answer `err SEQ FAILURE MESSAGE` (FAILURE: invalid or failed). At start the agent prints
`ready` or `fatal no-cuda MESSAGE` and exits. It exits at EOF on stdin (the server is gone).
"""
import ctypes
import mmap
import sys

STAGING_FD = 3
CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS = 1
CU_MEMHOSTREGISTER_PORTABLE = 1


class Failure(Exception):
    def __init__(self, failure, message):
        super().__init__(message)
        self.failure = failure


class IpcHandle(ctypes.Structure):
    _fields_ = [("reserved", ctypes.c_char * 64)]


class Cuda:
    def __init__(self):
        try:
            self.lib = ctypes.CDLL("libcuda.so.1")
        except OSError as err:
            raise Failure("no-cuda", "libcuda.so.1 could not be loaded: %s" % err)
        code = self.lib.cuInit(0)
        if code != 0:
            raise Failure("no-cuda", "cuInit failed: %s" % self.error_name(code))
        self.contexts = {}
        self.open_handle = self.symbol("cuIpcOpenMemHandle_v2", "cuIpcOpenMemHandle")
        self.open_handle.argtypes = [ctypes.POINTER(ctypes.c_uint64), IpcHandle, ctypes.c_uint]
        self.address_range = self.symbol("cuMemGetAddressRange_v2", "cuMemGetAddressRange")
        self.address_range.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_size_t), ctypes.c_uint64]
        self.dtoh = self.symbol("cuMemcpyDtoH_v2", "cuMemcpyDtoH")
        self.dtoh.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t]
        self.htod = self.symbol("cuMemcpyHtoD_v2", "cuMemcpyHtoD")
        self.htod.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]
        self.close_handle = self.symbol("cuIpcCloseMemHandle")
        self.close_handle.argtypes = [ctypes.c_uint64]
        self.lib.cuCtxSetCurrent.argtypes = [ctypes.c_void_p]

    def symbol(self, *names):
        for name in names:
            fn = getattr(self.lib, name, None)
            if fn is not None:
                return fn
        raise Failure("no-cuda", "libcuda.so.1 has no %s" % names[0])

    def error_name(self, code):
        text = ctypes.c_char_p()
        if self.lib.cuGetErrorName(code, ctypes.byref(text)) != 0 or text.value is None:
            return "CUDA error %d" % code
        return text.value.decode()

    def check(self, what, code, failure="failed"):
        if code != 0:
            raise Failure(failure, "%s: %s" % (what, self.error_name(code)))

    def use_device(self, device):
        ctx = self.contexts.get(device)
        if ctx is None:
            dev = ctypes.c_int()
            self.check("cuDeviceGet(%d)" % device, self.lib.cuDeviceGet(ctypes.byref(dev), device), "invalid")
            ctx = ctypes.c_void_p()
            self.check("cuDevicePrimaryCtxRetain", self.lib.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev))
            self.contexts[device] = ctx
        self.check("cuCtxSetCurrent", self.lib.cuCtxSetCurrent(ctx))


class Agent:
    def __init__(self, cuda, staging_size):
        self.cuda = cuda
        self.staging = mmap.mmap(STAGING_FD, staging_size)
        self.staging_size = staging_size
        self.address = ctypes.addressof(ctypes.c_char.from_buffer(self.staging))
        self.pinned = False
        self.regions = {}  # id -> (device, pointer, byte size)
        self.next_id = 1

    def pin_staging(self):
        # Pinned staging makes the copies DMA straight from it; pageable memory works too, only slower.
        if self.pinned:
            return
        self.pinned = True
        self.cuda.lib.cuMemHostRegister_v2.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint]
        self.cuda.lib.cuMemHostRegister_v2(self.address, self.staging_size, CU_MEMHOSTREGISTER_PORTABLE)

    def open(self, device, byte_size, handle_hex):
        raw = bytes.fromhex(handle_hex)
        if len(raw) != 64 or device < 0 or byte_size <= 0:
            raise Failure("invalid", "malformed open")
        self.cuda.use_device(device)
        self.pin_staging()
        ptr = ctypes.c_uint64()
        handle = IpcHandle()
        ctypes.memmove(ctypes.addressof(handle), raw, 64)
        self.cuda.check("cuIpcOpenMemHandle", self.cuda.open_handle(ctypes.byref(ptr), handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS), "invalid")
        base = ctypes.c_uint64()
        size = ctypes.c_size_t()
        code = self.cuda.address_range(ctypes.byref(base), ctypes.byref(size), ptr.value)
        if code != 0 or byte_size > size.value - (ptr.value - base.value):
            self.cuda.close_handle(ptr.value)
            raise Failure("invalid", "the allocation is smaller than byte_size")
        region = self.next_id
        self.next_id += 1
        self.regions[region] = (device, ptr.value, byte_size)
        return str(region)

    def region(self, region, offset, size):
        entry = self.regions.get(region)
        if entry is None:
            raise Failure("failed", "unknown region %d" % region)
        device, ptr, byte_size = entry
        if offset < 0 or size < 0 or offset + size > byte_size or size > self.staging_size:
            raise Failure("failed", "copy out of bounds")
        self.cuda.use_device(device)
        return ptr + offset

    def read(self, region, offset, size):
        src = self.region(region, offset, size)
        self.cuda.check("cuMemcpyDtoH", self.cuda.dtoh(self.address, src, size))

    def write(self, region, offset, size):
        dst = self.region(region, offset, size)
        self.cuda.check("cuMemcpyHtoD", self.cuda.htod(dst, self.address, size))
        # The reply tells the client its output is ready: the bytes must be in device memory by then.
        self.cuda.check("cuCtxSynchronize", self.cuda.lib.cuCtxSynchronize())

    def close(self, region):
        entry = self.regions.pop(region, None)
        if entry is not None:
            self.cuda.use_device(entry[0])
            self.cuda.check("cuIpcCloseMemHandle", self.cuda.close_handle(entry[1]))

    def handle(self, words):
        op, args = words[0], [w for w in words[2:]]
        if op == "open":
            return self.open(int(args[0]), int(args[1]), args[2])
        if op == "read":
            self.read(int(args[0]), int(args[1]), int(args[2]))
        elif op == "write":
            self.write(int(args[0]), int(args[1]), int(args[2]))
        elif op == "close":
            self.close(int(args[0]))
        else:
            raise Failure("failed", "unknown command %r" % op)
        return ""


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    try:
        agent = Agent(Cuda(), int(sys.argv[1]))
    except Failure as err:
        say("fatal %s %s" % (err.failure, err))
        return 3
    say("ready")
    for line in sys.stdin:
        words = line.split()
        if len(words) < 2:
            continue
        try:
            value = agent.handle(words)
            say(("ok %s %s" % (words[1], value)).rstrip())
        except Failure as err:
            say("err %s %s %s" % (words[1], err.failure, err))
        except Exception as err:  # a malformed line must not take every region down with the agent
            say("err %s failed %s" % (words[1], err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
