"""bench/python-shm-receive: the stub's receive step for one large server -> stub body, old vs new, interleaved
in one process. old: a zero-filled bytearray the body is pread into, then numpy views (the path before the
stub mapped the file); new: the stub's Channel maps the file and wraps the body in place. Both then read every
element once (x.sum()), as a model would. Prints the median µs of each and their ratio."""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, sys.argv[1])  # the stub directory
from _inferd_wire import Channel  # noqa: E402

SIZES = [int(s) for s in sys.argv[2].split(",")]
RUNS = int(sys.argv[3])


def old_receive(fd, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        got += os.preadv(fd, [view[got:]], got)
    return np.frombuffer(buf, dtype=np.float32)


def keep_freed_memory():
    # As the stub does (inferd_stub._keep_freed_memory): freed bodies up to 32 MiB stay in the heap.
    import ctypes
    libc = ctypes.CDLL(None)
    libc.mallopt(-3, 32 << 20)
    libc.mallopt(-1, 32 << 20)


def main():
    keep_freed_memory()
    path = f"/dev/shm/inferd-bench-{os.getpid()}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.unlink(path)
    channel = Channel(-1, fd, None)
    for n in SIZES:
        os.pwrite(fd, np.arange(n // 4, dtype=np.float32).tobytes(), 0)
        old, new = [], []
        for i in range(RUNS):
            for kind in ("old", "new") if i % 2 == 0 else ("new", "old"):
                t0 = time.perf_counter()
                if kind == "old":
                    x = old_receive(fd, n)
                else:
                    x = np.frombuffer(channel._mapped_body(0, n), dtype=np.float32)
                x.sum()
                dt = (time.perf_counter() - t0) * 1e6
                del x
                (old if kind == "old" else new).append(dt)
            channel._released.clear()
        o, w = statistics.median(old), statistics.median(new)
        print(f"| {n / 1048576:g} MiB | {o:.0f} | {w:.0f} | **{w / o:.2f}** | {RUNS} |")


main()
