"""Custom metrics (re-exported by triton_python_backend_utils). Values are kept in the stub and readable
with value(); they are not yet exported on the server's metrics endpoint."""
import threading

from _inferd_errors import TritonModelException


class MetricFamily:
    COUNTER = 0
    GAUGE = 1
    HISTOGRAM = 2

    def __init__(self, name, description, kind):
        if kind not in (MetricFamily.COUNTER, MetricFamily.GAUGE, MetricFamily.HISTOGRAM):
            raise TritonModelException(f"MetricFamily '{name}': unknown kind {kind!r}")
        self._name = name
        self._description = description
        self._kind = kind

    def Metric(self, labels=None, buckets=None):
        if self._kind == MetricFamily.HISTOGRAM and not buckets:
            raise TritonModelException(f"histogram metric of family '{self._name}' needs buckets")
        return Metric(self, dict(labels or {}), list(buckets or []))


class Metric:
    def __init__(self, family, labels, buckets):
        self._family = family
        self._labels = labels
        self._buckets = buckets
        self._value = 0.0
        self._lock = threading.Lock()

    def increment(self, value):
        if self._family._kind == MetricFamily.HISTOGRAM:
            raise TritonModelException("increment() is not supported for histograms; use observe()")
        if self._family._kind == MetricFamily.COUNTER and value < 0:
            raise TritonModelException("a counter cannot be decremented")
        with self._lock:
            self._value += value

    def set(self, value):
        if self._family._kind != MetricFamily.GAUGE:
            raise TritonModelException("set() is only supported for gauges")
        with self._lock:
            self._value = float(value)

    def observe(self, value):
        if self._family._kind != MetricFamily.HISTOGRAM:
            raise TritonModelException("observe() is only supported for histograms")
        with self._lock:
            self._value += value

    def value(self):
        with self._lock:
            return self._value
