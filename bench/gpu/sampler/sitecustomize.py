"""bench/gpu/sampler: a stack sampler for inferd's Python stubs, on PYTHONPATH during a bench run only.

With INFERD_SAMPLE_DIR set, every Python process started with this directory on PYTHONPATH samples its
main thread's stack every ~1 ms and rewrites <dir>/<pid>.txt every 2 s with the most common stacks and
leaf frames (the stub ends with os._exit, so no atexit). Not part of inferd; it exists to find where a
stub's time goes on the GPU machine, which has no py-spy.
"""
import collections
import os
import sys
import threading
import time

_DIR = os.environ.get("INFERD_SAMPLE_DIR")


def _frames(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        out.append(f"{os.path.basename(code.co_filename)}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return out[::-1]


def _run():
    main = threading.main_thread().ident
    stacks, leaves, total = collections.Counter(), collections.Counter(), 0
    next_dump = time.monotonic() + 2
    path = os.path.join(_DIR, f"{os.getpid()}.txt")
    while True:
        time.sleep(0.001)
        frame = sys._current_frames().get(main)
        if frame is None:
            continue
        fr = _frames(frame)
        total += 1
        stacks[";".join(fr[-8:])] += 1
        leaves[fr[-1]] += 1
        if time.monotonic() >= next_dump:
            next_dump += 2
            with open(path + ".tmp", "w") as f:
                f.write(f"argv {' '.join(sys.argv)}\nsamples {total}\n\n# leaf frames\n")
                for k, v in leaves.most_common(25):
                    f.write(f"{v:7d} {100 * v / total:5.1f}% {k}\n")
                f.write("\n# stacks (last 8 frames)\n")
                for k, v in stacks.most_common(25):
                    f.write(f"{v:7d} {100 * v / total:5.1f}% {k}\n")
            os.replace(path + ".tmp", path)


if _DIR:
    threading.Thread(target=_run, name="inferd-sampler", daemon=True).start()
