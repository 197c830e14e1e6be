"""inferd's own triton_python_backend_utils: the surface of Triton's Python backend module (spec §10),
written for inferd's stub. Model files import it as ``import triton_python_backend_utils as pb_utils``.

Tensors are numpy arrays (or, from_dlpack of a GPU tensor, a torch tensor left on its device). BYTES tensors are numpy object arrays of ``bytes``. BLS
(``InferenceRequest(...).exec()``) and model control run through the server in-process (_inferd_bls).
``MetricFamily`` values are kept by the server and shown on its /metrics (_inferd_metrics).
Not supported yet: request rescheduling.
"""
import base64
import json
import struct
import threading

import numpy as np

import _inferd_bls as _bls
import _inferd_dlpack as _dlpack
import _inferd_runtime as _rt
from _inferd_errors import _CODE_NAMES, TritonError, TritonModelException  # noqa: F401 - public names
from _inferd_metrics import Metric, MetricFamily  # noqa: F401
from _inferd_model_config import ModelConfig  # noqa: F401

TRITONSERVER_REQUEST_FLAG_SEQUENCE_START = 1
TRITONSERVER_REQUEST_FLAG_SEQUENCE_END = 2
TRITONSERVER_RESPONSE_COMPLETE_FINAL = 1
TRITONSERVER_REQUEST_RELEASE_ALL = 1
TRITONSERVER_REQUEST_RELEASE_RESCHEDULE = 2
# TRITONSERVER_MemoryType values.
TRITONSERVER_MEMORY_CPU = 0
TRITONSERVER_MEMORY_CPU_PINNED = 1
TRITONSERVER_MEMORY_GPU = 2

# (protocol datatype, TRITONSERVER_DataType / config enum value, numpy type); BF16 has no numpy type.
_TYPES = (
    ("BOOL", 1, np.bool_), ("UINT8", 2, np.uint8), ("UINT16", 3, np.uint16), ("UINT32", 4, np.uint32),
    ("UINT64", 5, np.uint64), ("INT8", 6, np.int8), ("INT16", 7, np.int16), ("INT32", 8, np.int32),
    ("INT64", 9, np.int64), ("FP16", 10, np.float16), ("FP32", 11, np.float32), ("FP64", 12, np.float64),
    ("BYTES", 13, np.object_),
)
_NUMPY_BY_NAME = {name: t for name, _, t in _TYPES}
_NUMPY_BY_ENUM = {e: t for _, e, t in _TYPES}
_NAME_BY_ENUM = {e: name for name, e, _ in _TYPES}
_ENUM_BY_NAME = {name: e for name, e, _ in _TYPES}
_CODE_BY_NAME = {name: code for code, name in _CODE_NAMES.items()}


# ---- type helpers -------------------------------------------------------------------------------

def triton_to_numpy_type(data_type):
    return _NUMPY_BY_ENUM.get(data_type)


def numpy_to_triton_type(data_type):
    dt = np.dtype(data_type)
    if dt.kind in "OSU":
        return 13
    for _, e, t in _TYPES:
        if t is not np.object_ and np.dtype(t) == dt:
            return e
    return None


def triton_string_to_numpy(triton_type_string):
    name = triton_type_string[5:] if triton_type_string.startswith("TYPE_") else triton_type_string
    return _NUMPY_BY_NAME["BYTES" if name == "STRING" else name]


def serialize_byte_tensor(input_tensor):
    """uint32-LE length-prefixed elements (C order) as a 0-d object array holding one bytes value."""
    if input_tensor.size == 0:
        return np.empty([0], dtype=np.object_)
    if input_tensor.dtype.kind not in "OSU":
        raise TritonModelException("cannot serialize bytes tensor: invalid datatype")
    return np.asarray(_join_bytes(input_tensor), dtype=np.object_)


def deserialize_bytes_tensor(encoded_tensor):
    if isinstance(encoded_tensor, np.ndarray):
        # serialize_byte_tensor's 0-d object array, or raw uint8 bytes.
        encoded_tensor = encoded_tensor.item() if encoded_tensor.dtype == np.object_ else encoded_tensor.tobytes()
    return np.array(_split_bytes(bytes(encoded_tensor)), dtype=np.object_)


def _element_bytes(item):
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    return str(item).encode("utf-8")


def _join_bytes(array):
    parts = []
    for item in array.reshape(-1):
        b = _element_bytes(item.item() if isinstance(item, np.generic) else item)
        parts.append(struct.pack("<I", len(b)))
        parts.append(b)
    return b"".join(parts)


def _split_bytes(buf, offset=0, end=None):
    end = len(buf) if end is None else end
    items = []
    while offset < end:
        (n,) = struct.unpack_from("<I", buf, offset)
        offset += 4
        items.append(bytes(buf[offset:offset + n]))
        offset += n
    return items


# ---- tensors ------------------------------------------------------------------------------------

class Tensor:
    def __init__(self, name, data, dtype=None):
        if not isinstance(data, np.ndarray):
            raise TritonModelException(f"Tensor '{name}': data must be a numpy array, got {type(data).__name__}")
        if data.dtype.kind not in "OSU" and numpy_to_triton_type(data.dtype) is None:
            raise TritonModelException(f"Tensor '{name}': unsupported numpy dtype {data.dtype}")
        self._name = name
        self._array = data
        # A tensor in GPU memory (from_dlpack of a CUDA torch tensor); _array is None then.
        self._device = None

    def name(self):
        return self._name

    def as_numpy(self):
        if self._device is not None:
            raise TritonModelException("Tensor is stored in GPU and cannot be converted to NumPy.")
        return self._array

    def _host_array(self):
        """The tensor's bytes in host memory (copied from the GPU only for a device tensor)."""
        return self._array if self._device is None else _dlpack.host_array(self._device)

    def triton_dtype(self):
        dtype = self._array.dtype if self._device is None else _dlpack.numpy_dtype(self._device)
        return numpy_to_triton_type(dtype)

    def shape(self):
        return list(self._array.shape if self._device is None else self._device.shape)

    def is_cpu(self):
        return self._device is None

    def to_dlpack(self):
        return _dlpack.export_tensor(self._array, self._device)

    @staticmethod
    def from_dlpack(name, capsule):
        """From a DLPack capsule or any object with __dlpack__ (a torch tensor, CPU or CUDA); no copy."""
        array, device = _dlpack.import_tensor(capsule)
        if device is None:
            return Tensor(name, array)
        t = Tensor(name, np.empty(0, dtype=np.float32))
        t._array, t._device = None, device
        if numpy_to_triton_type(_dlpack.numpy_dtype(device)) is None:
            raise TritonModelException(f"Tensor '{name}': unsupported torch dtype {device.dtype}")
        return t

    def __repr__(self):
        where = "cpu" if self._device is None else str(self._device.device)
        dtype = self._array.dtype if self._device is None else self._device.dtype
        return f"Tensor(name={self._name!r}, shape={self.shape()}, dtype={dtype}, device={where})"


def _wire_datatype(array):
    return _NAME_BY_ENUM[numpy_to_triton_type(array.dtype)]


def _encode_tensors(tensors):
    """(descriptors for the header, byte buffers for the body) of a list of Tensor."""
    descs, buffers = [], []
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TritonModelException(f"expected pb_utils.Tensor in output_tensors, got {type(t).__name__}")
        a = t._host_array()
        if a.dtype.kind in "OSU":
            raw = memoryview(_join_bytes(a))
            datatype = "BYTES"
        else:
            if a.dtype.byteorder == ">":
                a = a.astype(a.dtype.newbyteorder("<"))
            raw = memoryview(np.ascontiguousarray(a).reshape(-1).view(np.uint8))
            datatype = _wire_datatype(a)
        descs.append({"name": t.name(), "datatype": datatype, "shape": [int(d) for d in a.shape], "size": raw.nbytes})
        buffers.append(raw)
    return descs, buffers


def _decode_tensors(descs, body, offset):
    """Tensors of one request from the frame body (numpy views, no copy); returns (tensors, offset)."""
    tensors = []
    for d in descs:
        size, shape = d["size"], d["shape"]
        if d["datatype"] == "BYTES":
            array = np.array(_split_bytes(body, offset, offset + size), dtype=np.object_).reshape(shape)
        else:
            t = _NUMPY_BY_NAME.get(d["datatype"])
            if t is None:
                raise TritonModelException(f"datatype {d['datatype']} is not supported by the Python backend")
            dt = np.dtype(t)
            array = np.frombuffer(body, dtype=dt, count=size // dt.itemsize, offset=offset).reshape(shape)
        tensors.append(Tensor(d["name"], array))
        offset += size
    return tensors, offset


# ---- requests and responses ----------------------------------------------------------------------

class InferenceResponse:
    def __init__(self, output_tensors=None, error=None, parameters=None):
        self._outputs = list(output_tensors or [])
        if error is not None and not isinstance(error, TritonError):
            error = TritonError(str(error))
        self._error = error
        if isinstance(parameters, str):
            parameters = json.loads(parameters) if parameters else None
        self._parameters = parameters or {}

    def output_tensors(self):
        return self._outputs

    def has_error(self):
        return self._error is not None

    def error(self):
        return self._error

    def parameters(self):
        return json.dumps(self._parameters)


def _encode_response(response):
    """Header fields and body buffers of one response (None = flag-only)."""
    if response is None:
        return {"outputs": []}, []
    if not isinstance(response, InferenceResponse):
        raise TritonModelException(f"expected pb_utils.InferenceResponse, got {type(response).__name__}")
    if response.has_error():
        err = response.error()
        return {"outputs": [], "error": {"code": _CODE_NAMES.get(err.code(), "INTERNAL"), "message": err.message()}}, []
    descs, buffers = _encode_tensors(response.output_tensors())
    head = {"outputs": descs}
    if response._parameters:
        head["parameters"] = response._parameters
    return head, buffers


class InferenceResponseSender:
    def __init__(self, key):
        self._key = key
        self._closed = False

    def send(self, response=None, flags=0):
        if self._closed:
            raise TritonModelException("Unable to send response. Response sender has been closed.")
        final = bool(flags & TRITONSERVER_RESPONSE_COMPLETE_FINAL)
        if not _rt.decoupled and not (final and response is not None):
            raise TritonModelException(
                "Non-decoupled model cannot send more than one response, and the response must have the "
                "TRITONSERVER_RESPONSE_COMPLETE_FINAL flag")
        if response is None and not final:
            raise TritonModelException("Response must be non-empty unless it carries the FINAL flag")
        head, buffers = _encode_response(response)
        head.update({"t": "resp", "key": self._key, "final": final})
        if final:
            self._closed = True
            with _rt.cancelled_lock:
                _rt.cancelled.discard(self._key)
        _rt.channel.send(head, buffers)

    def is_cancelled(self):
        return _rt.is_cancelled(self._key)


class PreferredMemory:
    """Where BLS outputs should live; inferd has CPU memory only, so this is accepted and ignored."""

    def __init__(self, preferred_memory_type=TRITONSERVER_MEMORY_CPU, preferred_device_id=0):
        self._type = preferred_memory_type
        self._device_id = preferred_device_id


class InferenceRequest:
    """A request handed to execute(), or one the model builds to call another model (BLS)."""

    def __init__(self, request_id="", correlation_id=0, inputs=None, requested_output_names=None, model_name="",
                 model_version=-1, flags=0, timeout=0, preferred_memory=None, trace=None, parameters=None):
        self._key = None
        self._request_id = request_id
        self._correlation_id = correlation_id
        self._inputs = list(inputs or [])
        self._requested = list(requested_output_names or [])
        self._model_name = model_name
        self._model_version = model_version
        self._flags = flags
        self._timeout = timeout
        self._parameters = parameters if isinstance(parameters, str) else json.dumps(parameters or {})
        self._release_flags = TRITONSERVER_REQUEST_RELEASE_ALL
        self._sender = None

    @classmethod
    def _from_wire(cls, head, inputs):
        corr = head.get("correlation_id", 0)
        req = cls(request_id=head.get("id", ""), correlation_id=int(corr) if head.get("corr_int") else corr,
                  inputs=inputs, requested_output_names=head.get("outputs", []), flags=head.get("flags", 0),
                  timeout=head.get("timeout", 0), parameters=head.get("parameters", "{}"))
        req._key = head["key"]
        return req

    def inputs(self):
        return self._inputs

    def request_id(self):
        return self._request_id

    def correlation_id(self):
        return self._correlation_id

    def flags(self):
        return self._flags

    def set_flags(self, flags):
        self._flags = flags

    def timeout(self):
        return self._timeout

    def parameters(self):
        return self._parameters

    def trace(self):
        return None

    def model_name(self):
        return self._model_name

    def requested_output_names(self):
        return list(self._requested)

    def get_response_sender(self):
        if self._key is None:
            raise TritonModelException("only requests passed to execute() have a response sender")
        if self._sender is None:
            self._sender = InferenceResponseSender(self._key)
        return self._sender

    def is_cancelled(self):
        return self._key is not None and _rt.is_cancelled(self._key)

    def set_release_flags(self, flags):
        if flags & TRITONSERVER_REQUEST_RELEASE_RESCHEDULE:
            raise TritonModelException("request rescheduling is not supported by inferd yet")
        self._release_flags = flags

    def exec(self, decoupled=False):
        """Runs the request on model_name (BLS). Failures come back as a response with has_error(), as in
        Triton; decoupled=True gives a ResponseIterator whose last response may be empty."""
        call = self._start_bls(decoupled)
        if decoupled:
            return ResponseIterator(call)
        return _bls_response(*call.next())

    async def async_exec(self, decoupled=False):
        call = self._start_bls(decoupled)
        if decoupled:
            return ResponseIterator(call)
        return _bls_response(*await call.next_async())

    def _start_bls(self, decoupled):
        descs, buffers = _encode_tensors(self._inputs)
        corr = self._correlation_id
        params = json.loads(self._parameters) if self._parameters else {}
        head = {
            "t": "bls", "model": self._model_name, "inputs": descs, "outputs": self._requested,
            "version": "" if self._model_version in (None, -1, "", "-1") else str(self._model_version),
            "request_id": self._request_id, "flags": self._flags, "timeout": self._timeout, "parameters": params,
            # Python ints may exceed 2^53: sent as text, as the server sends them here.
            "correlation_id": str(corr) if isinstance(corr, int) else corr, "corr_int": isinstance(corr, int),
            "decoupled": bool(decoupled),
            # Cancelling the request(s) being executed cancels this call; from other threads it is not known.
            "parents": list(_rt.executing_keys) if threading.current_thread() is threading.main_thread() else [],
        }
        return _bls.start(head, buffers)


class ResponseIterator:
    """The responses of ``exec(decoupled=True)``, in order; iterable with ``for`` or ``async for``."""

    def __init__(self, call):
        self._call = call
        self._done = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        head, body = self._call.next()
        self._done = head.get("final", True)
        return _bls_response(head, body)

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._done:
            raise StopAsyncIteration
        head, body = await self._call.next_async()
        self._done = head.get("final", True)
        return _bls_response(head, body)

    def cancel(self):
        """Asks the server to cancel the call; responses already on their way still arrive."""
        _bls.cancel(self._call)


def _bls_response(head, body):
    err = head.get("error")
    if err is not None:
        return InferenceResponse(error=TritonError(err["message"], _CODE_BY_NAME.get(err["code"], TritonError.INTERNAL)))
    tensors, _ = _decode_tensors(head.get("outputs", []), body, 0)
    return InferenceResponse(output_tensors=tensors, parameters=head.get("parameters"))


# ---- logging ------------------------------------------------------------------------------------

class Logger:
    INFO = 0
    WARNING = 1
    ERROR = 2
    VERBOSE = 3
    _LEVELS = {0: "info", 1: "warning", 2: "error", 3: "verbose"}

    @staticmethod
    def log(message, level=0):
        _rt.log(Logger._LEVELS.get(level, "info"), message)

    @staticmethod
    def log_info(message):
        _rt.log("info", message)

    @staticmethod
    def log_warn(message):
        _rt.log("warning", message)

    @staticmethod
    def log_error(message):
        _rt.log("error", message)

    @staticmethod
    def log_verbose(message):
        _rt.log("verbose", message)


# ---- model control ------------------------------------------------------------------------------
# As the server's repository API: load/unload fail (TritonModelException with the server's message)
# unless the server runs in explicit model control mode.

def _control(op, **fields):
    head, _ = _bls.start(dict(fields, t="control", op=op)).next()
    err = head.get("error")
    if err is not None:
        raise TritonModelException(err["message"])
    return head


def load_model(model_name, config="", files=None):
    encoded = {path: base64.b64encode(bytes(data)).decode("ascii") for path, data in (files or {}).items()}
    _control("load", model=model_name, config=config or "", files=encoded)


def unload_model(model_name, unload_dependents=False):
    _control("unload", model=model_name, unload_dependents=bool(unload_dependents))


def is_model_ready(model_name, model_version=""):
    return bool(_control("ready", model=model_name, version=str(model_version or "")).get("ready", False))


# ---- config helpers -----------------------------------------------------------------------------

def get_input_tensor_by_name(inference_request, name):
    for t in inference_request.inputs():
        if t.name() == name:
            return t
    return None


def get_output_tensor_by_name(inference_response, name):
    for t in inference_response.output_tensors():
        if t.name() == name:
            return t
    return None


def get_input_config_by_name(model_config, name):
    for entry in model_config.get("input", []):
        if entry.get("name") == name:
            return entry
    return None


def get_output_config_by_name(model_config, name):
    for entry in model_config.get("output", []):
        if entry.get("name") == name:
            return entry
    return None


def using_decoupled_model_transaction_policy(model_config):
    return bool(model_config.get("model_transaction_policy", {}).get("decoupled", False))
