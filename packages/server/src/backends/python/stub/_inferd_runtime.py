"""State shared by the stub loop and triton_python_backend_utils inside one stub process.

Kept apart from both so that neither imports the other: the stub sets these at start, pb_utils reads them.
"""
import threading

# The Channel to the server (set by inferd_stub before the model is imported).
channel = None
# Model instance name, e.g. "add_sub_0_0" (for messages).
instance_name = ""
# True when model_transaction_policy.decoupled is set.
decoupled = False
# Keys of requests the server reported as cancelled (client gone); written by the reader thread.
cancelled = set()
# Keys of the requests the main thread is executing (BLS calls made there are cancelled with them).
executing_keys = ()
cancelled_lock = threading.Lock()


def is_cancelled(key):
    with cancelled_lock:
        return key in cancelled


def log(level, message):
    """Sends one line to the server log; level is 'info' | 'warning' | 'error' | 'verbose'."""
    if channel is None:
        print(message, flush=True)
        return
    channel.send({"t": "log", "level": level, "message": str(message)})
