"""Custom metrics (re-exported by triton_python_backend_utils), shown on the server's /metrics.

The server keeps the values (see custom-metrics.ts for why): creating a family or a metric and
``value()`` are calls that wait for the server's answer, ``increment`` / ``set`` / ``observe`` are
one frame each, not waited for. Arguments are checked here first, with Triton's messages, so a wrong
call raises at once. When the server exports no metrics (``--allow-metrics=false``, or the throw-away
auto-complete stub) values stay in this process and ``value()`` reads them there.

Dropping the last reference to a Metric (or MetricFamily) removes its series (family) from /metrics, as
in Triton. The removal is queued and sent with the next metric frame or when initialize / execute
returns: a ``__del__`` may run inside a garbage collection while this thread is writing to the
channel, where sending would deadlock.
"""
import math
import threading

import _inferd_bls
import _inferd_runtime as rt
from _inferd_errors import TritonModelException

# Set by the stub from the init frame: the server keeps the values.
remote = False
_deleted = []
_deleted_lock = threading.Lock()


def _send(head):
    """Fire-and-forget frame, preceded by any queued removals."""
    _flush_deleted()
    rt.channel.send(head)


def flush_deleted():
    """Sends queued removals now (the stub calls this after initialize and after each execute)."""
    if remote:
        try:
            _flush_deleted()
        except OSError:
            pass  # the server is gone; the reader thread ends the process


def _flush_deleted():
    with _deleted_lock:
        handles = _deleted[:]
        _deleted.clear()
    if handles:
        rt.channel.send({"t": "metric_delete", "handles": handles})


def _call(head):
    """Sends a call and returns the server's answer (raises TritonModelException on an error answer)."""
    _flush_deleted()
    answer, _ = _inferd_bls.start(head).next()
    error = answer.get("error")
    if error is not None:
        raise TritonModelException(error.get("message", "metric call failed"))
    return answer


def _wire_number(value):
    # JSON has no infinities or NaN (json.dumps would write invalid JSON).
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _forget(handle):
    if handle is not None:
        with _deleted_lock:
            _deleted.append(handle)


class MetricFamily:
    COUNTER = 0
    GAUGE = 1
    HISTOGRAM = 2

    def __init__(self, name, description, kind):
        self._handle = None
        if kind not in (MetricFamily.COUNTER, MetricFamily.GAUGE, MetricFamily.HISTOGRAM):
            raise TritonModelException(f"Error when creating MetricFamily: unknown metric kind {kind!r}")
        if not isinstance(name, str) or not name:
            raise TritonModelException("Error when creating MetricFamily: the name must be a non-empty string")
        self._name = name
        self._description = str(description)
        self._kind = kind
        if remote:
            self._handle = _call({"t": "metric_family", "name": name, "description": self._description, "kind": kind})["handle"]

    def Metric(self, labels=None, buckets=None):
        if labels is not None and not isinstance(labels, dict):
            raise TritonModelException("Failed to create metric. Labels must be a dictionary.")
        labels = dict(labels or {})
        for k, v in labels.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TritonModelException("Failed to create metric. Label names and values must be strings.")
        if buckets is not None:
            if not isinstance(buckets, list):
                raise TritonModelException("Failed to create metric. Buckets must be a list.")
            if self._kind != MetricFamily.HISTOGRAM:
                raise TritonModelException("Failed to create metric. Unexpected buckets found.")
            buckets = [float(b) for b in buckets]
            if any(b >= c for b, c in zip(buckets, buckets[1:])):
                raise TritonModelException("Failed to create metric. Bucket boundaries must be strictly sorted.")
        elif self._kind == MetricFamily.HISTOGRAM:
            raise TritonModelException("Failed to create metric. Missing required buckets.")
        return Metric(self, labels, buckets)

    def __del__(self):
        _forget(getattr(self, "_handle", None))


class Metric:
    def __init__(self, family, labels, buckets):
        self._handle = None
        # Holding the family keeps it (and its handle) alive as long as any of its metrics.
        self._family = family
        self._labels = labels
        self._buckets = buckets
        self._value = 0.0
        self._lock = threading.Lock()
        if remote:
            head = {"t": "metric_new", "family": family._handle, "labels": labels}
            if buckets is not None:
                head["buckets"] = buckets
            self._handle = _call(head)["handle"]

    def _op(self, op, value):
        if self._handle is not None:
            _send({"t": "metric_op", "handle": self._handle, "op": op, "value": _wire_number(value)})
            return
        with self._lock:
            if op == "set":
                self._value = value
            elif op == "increment":
                self._value += value

    def increment(self, value):
        kind = self._family._kind
        if kind == MetricFamily.HISTOGRAM:
            raise TritonModelException("Failed to increment metric value: not supported for histograms, use observe()")
        value = float(value)
        if kind == MetricFamily.COUNTER and value < 0:
            raise TritonModelException("a counter cannot be decremented")
        self._op("increment", value)

    def set(self, value):
        if self._family._kind != MetricFamily.GAUGE:
            raise TritonModelException("Failed to set metric value: set() is only supported for gauges")
        self._op("set", float(value))

    def observe(self, value):
        if self._family._kind != MetricFamily.HISTOGRAM:
            raise TritonModelException("Failed to observe metric value: observe() is only supported for histograms")
        value = float(value)
        if math.isnan(value):
            raise TritonModelException("Failed to observe metric value: NaN")
        self._op("observe", value)

    def value(self):
        if self._family._kind == MetricFamily.HISTOGRAM:
            raise TritonModelException("Failed to get metric value: value() is not supported for histograms")
        if self._handle is not None:
            return float(_call({"t": "metric_value", "handle": self._handle})["value"])
        with self._lock:
            return self._value

    def __del__(self):
        _forget(getattr(self, "_handle", None))
