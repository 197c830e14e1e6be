"""inferd's Python stub: one process per model instance, running a Triton model.py unchanged.

Usage: inferd_stub.py <model.py path> <instance name> [shm]. The server talks to it over fd 3 (see
_inferd_wire); with `shm`, fds 4 and 5 are /dev/shm files for large bodies. A reader thread takes
frames off the socket: cancellations are applied at once, all else is queued for the main thread,
which runs initialize / execute / finalize one at a time.
"""
import asyncio
import importlib.util
import inspect
import json
import os
import queue
import sys
import threading
import traceback

import _inferd_bls
import _inferd_metrics
import _inferd_runtime as rt
from _inferd_wire import Channel

try:
    import triton_python_backend_utils as pb_utils
except ImportError as _err:
    # inferd's pb_utils needs numpy. One line naming the missing module: the server puts a dying
    # stub's last stderr line into the model's reason, and a traceback through inferd's own files
    # helps nobody.
    sys.stderr.write(f"{type(_err).__name__}: {_err}\n")
    sys.exit(1)

CHANNEL_FD = 3
SHM_IN_FD = 4
SHM_OUT_FD = 5


def _reader(channel, inbox, stub):
    try:
        while True:
            head, body = channel.recv()
            kind = head.get("t")
            if kind == "cancel":
                with rt.cancelled_lock:
                    rt.cancelled.add(head["key"])
            elif kind == "ping":
                # Health check: answered here, so a long execute on the main thread is no hang.
                channel.send({"t": "pong"})
            elif kind in ("bls_resp", "control_result", "metric_result"):
                # Answers to calls a model thread is waiting on (never queued behind that thread).
                _inferd_bls.deliver(head, body)
            elif kind == "is_ready":
                # Not queued behind a running execute (model-ready must answer within its timeout).
                threading.Thread(target=stub.is_ready, args=(head["id"],), daemon=True).start()
            else:
                inbox.put((head, body))
            # A body mapped from shared memory is released when its last view goes: not this loop's.
            head = body = None
    except (EOFError, OSError):
        # The server is gone or closed the channel (after finalize, or to end this stub): nothing is
        # left to answer, so leave now even if the model is still inside execute.
        os._exit(0)


def _die_with_parent():
    """Linux: SIGKILL this stub when the server process dies, even if the model holds the GIL in C code."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        # A server that died before this call is noticed by the reader thread (EOF on the channel).
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _keep_freed_memory():
    """glibc: serve large bodies (up to 32 MiB) from the heap and keep up to 32 MiB of it once freed.

    By default glibc gives a freed 4 MB body back to the kernel, so the next one is fresh pages whose
    faults land in the copy: with two 4 MB bodies alive at once (a request and a BLS answer) reading
    them took ~5.1 ms instead of ~0.5 ms (a micro-benchmark of this read path; the BLS table of
    bench/python-backend is too noisy on a shared machine to show it clearly). Keeping up to 32 MiB
    of freed heap per stub is the price. Other C libraries: left as they are.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 32 << 20)
    except (OSError, AttributeError):
        pass


def _load_model_class(model_path):
    # Triton puts the model's version directory on sys.path so model.py can import its neighbours.
    sys.path.insert(0, os.path.dirname(model_path))
    spec = importlib.util.spec_from_file_location("model", model_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["model"] = module
    spec.loader.exec_module(module)
    if not hasattr(module, "TritonPythonModel"):
        raise AttributeError(f"'{model_path}' defines no class TritonPythonModel")
    return module.TritonPythonModel


class Stub:
    def __init__(self, channel, model_path):
        self.channel = channel
        self.model_path = model_path
        self.model = None
        self.loop = asyncio.new_event_loop()

    def _run(self, result):
        """Awaits coroutines (async def execute / is_ready) on the stub's event loop."""
        return self.loop.run_until_complete(result) if inspect.isawaitable(result) else result

    def _error_text(self, err):
        # inferd's own model code (the pytorch backend) raises errors whose text is Triton's, type name aside.
        if getattr(err, "inferd_plain_message", False):
            return str(err)
        return f"{type(err).__name__}: {err}"

    def initialize(self, head):
        try:
            rt.decoupled = bool(head.get("decoupled", False))
            # The server keeps MetricFamily values (shown on /metrics) when it exports metrics.
            _inferd_metrics.remote = bool(head.get("metrics", False))
            cls = _load_model_class(self.model_path)
            self.model = cls()
            if hasattr(self.model, "initialize"):
                self._run(self.model.initialize(head["args"]))
            _inferd_metrics.flush_deleted()
            self.channel.send({"t": "ready", "has_is_ready": hasattr(self.model, "is_ready")})
        except BaseException as err:  # noqa: BLE001 - any failure is reported, the process then ends
            rt.log("error", traceback.format_exc())
            self.channel.send({"t": "init_error", "message": self._error_text(err)})
            raise SystemExit(1)

    def execute(self, head, body):
        batch = head["batch"]
        try:
            requests, offset = [], 0
            for r in head["requests"]:
                inputs, offset = pb_utils._decode_tensors(r["inputs"], body, offset)
                if r.get("cancelled"):
                    with rt.cancelled_lock:
                        rt.cancelled.add(r["key"])
                requests.append(pb_utils.InferenceRequest._from_wire(r, inputs))
            rt.executing_keys = tuple(r["key"] for r in head["requests"])
            result = self._run(self.model.execute(requests))
            if rt.decoupled or result is None:
                # Decoupled models answer through their senders; so may a default-mode model (24.06+).
                self.channel.send({"t": "done", "batch": batch})
                return
            self._send_responses(batch, requests, result)
        except BaseException as err:  # noqa: BLE001 - SystemExit from the model is an error too
            rt.log("error", f"Failed to process the request(s) for model '{rt.instance_name}':\n{traceback.format_exc()}")
            code = "INTERNAL"
            if isinstance(err, pb_utils.TritonError):
                code = pb_utils._CODE_NAMES.get(err.code(), "INTERNAL")
            self._done_error(batch, code, f"Failed to process the request(s) for model '{rt.instance_name}', "
                                          f"message: {self._error_text(err)}")
        finally:
            rt.executing_keys = ()
            _inferd_metrics.flush_deleted()
            with rt.cancelled_lock:
                for r in head["requests"]:
                    if not rt.decoupled:
                        rt.cancelled.discard(r["key"])

    def _send_responses(self, batch, requests, result):
        if not isinstance(result, (list, tuple)):
            self._done_error(batch, "INTERNAL", "Expected a list in the execute return, got "
                                                f"{type(result).__name__}")
            return
        if len(result) != len(requests):
            self._done_error(batch, "INTERNAL",
                             "Number of InferenceResponse objects do not match number of InferenceRequest objects. "
                             f"InferenceRequest(s) size is:{len(requests)}, and InferenceResponse(s) size "
                             f"is:{len(result)}")
            return
        heads, buffers = [], []
        for response in result:
            if response is None:
                heads.append(None)
                continue
            h, b = pb_utils._encode_response(response)
            heads.append(h)
            buffers.extend(b)
        self.channel.send({"t": "done", "batch": batch, "responses": heads}, buffers)

    def _done_error(self, batch, code, message):
        self.channel.send({"t": "done", "batch": batch, "error": {"code": code, "message": message}})

    def auto_complete(self, head):
        """Short-lived mode: runs the static auto_complete_config and answers the top-level fields it changed."""
        try:
            original = head["config"]
            cls = _load_model_class(self.model_path)
            changed = {}
            if hasattr(cls, "auto_complete_config"):
                config = pb_utils.ModelConfig(json.loads(json.dumps(original)))
                result = cls.auto_complete_config(config)
                # Triton refuses anything but a ModelConfig back (forgetting the return gives None).
                if not isinstance(result, pb_utils.ModelConfig):
                    name = original.get("name", "")
                    self.channel.send({"t": "auto_complete_error", "message":
                                       f"auto_complete_config function in model '{name}' must return a valid "
                                       "pb.ModelConfig object."})
                    return
                final = result.as_dict()
                changed = {k: v for k, v in final.items() if original.get(k) != v}
            self.channel.send({"t": "auto_completed", "changed": changed})
        except BaseException as err:  # noqa: BLE001
            rt.log("error", traceback.format_exc())
            self.channel.send({"t": "auto_complete_error", "message": self._error_text(err)})

    def is_ready(self, probe_id):
        """Runs the model's is_ready() (sync or async) on its own thread; any failure means not ready."""
        try:
            result = self.model.is_ready()
            if inspect.isawaitable(result):
                result = asyncio.run(result)
            ready = bool(result)
        except BaseException:  # noqa: BLE001
            rt.log("error", f"is_ready of '{rt.instance_name}' failed:\n{traceback.format_exc()}")
            ready = False
        self.channel.send({"t": "ready_state", "id": probe_id, "ready": ready})

    def finalize(self):
        try:
            if self.model is not None and hasattr(self.model, "finalize"):
                self._run(self.model.finalize())
        except BaseException:  # noqa: BLE001
            rt.log("error", f"finalize of '{rt.instance_name}' failed:\n{traceback.format_exc()}")
        self.channel.send({"t": "finalized"})


def main():
    _die_with_parent()
    _keep_freed_memory()
    model_path, instance_name = sys.argv[1], sys.argv[2]
    shm = len(sys.argv) > 3 and sys.argv[3] == "shm"
    channel = Channel(CHANNEL_FD, SHM_IN_FD if shm else None, SHM_OUT_FD if shm else None)
    rt.channel = channel
    rt.instance_name = instance_name
    inbox = queue.Queue()
    stub = Stub(channel, model_path)
    threading.Thread(target=_reader, args=(channel, inbox, stub), name="inferd-reader", daemon=True).start()
    while True:
        head, body = inbox.get()
        kind = head.get("t")
        if kind == "init":
            stub.initialize(head)
        elif kind == "execute":
            stub.execute(head, body)
            # The batch's inputs are dropped here (unless the model kept them): say so to the server now,
            # so its next large body can reuse their region.
            head = body = None
            channel.flush_released()
        elif kind == "finalize":
            stub.finalize()
            break
        elif kind == "auto_complete":
            stub.auto_complete(head)
            break
    sys.stdout.flush()
    # Decoupled sender threads the model left running must not keep the process alive.
    os._exit(0)


if __name__ == "__main__":
    main()
