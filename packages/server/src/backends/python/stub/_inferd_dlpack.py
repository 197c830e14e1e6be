"""DLPack for pb_utils.Tensor: tensors from torch (or anything with ``__dlpack__``, or a bare capsule) in and out.

A CPU tensor becomes a numpy array over the same memory (no copy). A tensor on a GPU stays where it is, held as
a torch tensor: ``is_cpu()`` is false, ``as_numpy()`` refuses as in Triton, and its bytes are copied to host
memory only when a response or a BLS request must leave the stub (``host_array``).
"""
import sys

import numpy as np

_KDL_CPU = 1
_KDL_CUDA_HOST = 3


class _Capsule:
    """numpy's from_dlpack takes objects with __dlpack__, not bare capsules (Triton accepts both)."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (_KDL_CPU, 0)


def _torch():
    # torch is imported only by models that hand torch tensors over; the plain numpy path never loads it.
    torch = sys.modules.get("torch")
    if torch is None:
        import torch  # noqa: PLC0415
    return torch


def _is_torch_tensor(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _cpu_numpy(torch_tensor):
    # detach(): torch will not export a tensor that requires grad; numpy() shares memory and, unlike
    # numpy 1.24's from_dlpack, takes bool tensors.
    return torch_tensor.detach().numpy()


def import_tensor(obj):
    """(numpy array, None) for CPU memory, (None, torch tensor) for device memory."""
    if _is_torch_tensor(obj):
        return (_cpu_numpy(obj), None) if obj.device.type == "cpu" else (None, obj)
    if hasattr(obj, "__dlpack__"):
        device = obj.__dlpack_device__()[0] if hasattr(obj, "__dlpack_device__") else _KDL_CPU
        if device in (_KDL_CPU, _KDL_CUDA_HOST):
            return np.from_dlpack(obj), None
        return None, _torch().utils.dlpack.from_dlpack(obj)
    # A bare capsule says nothing of its device until consumed: torch reads any, numpy only CPU ones.
    if "torch" in sys.modules:
        t = sys.modules["torch"].utils.dlpack.from_dlpack(obj)
        return (_cpu_numpy(t), None) if t.device.type == "cpu" else (None, t)
    return np.from_dlpack(_Capsule(obj)), None


def export_tensor(array, device_tensor):
    """A DLPack capsule of the tensor's memory (no copy)."""
    if device_tensor is not None:
        return _torch().utils.dlpack.to_dlpack(device_tensor)
    if "torch" in sys.modules and array.dtype == np.bool_:
        # numpy 1.24 cannot export bool over DLPack; torch shares the same memory and can.
        return sys.modules["torch"].utils.dlpack.to_dlpack(sys.modules["torch"].from_numpy(array))
    return array.__dlpack__()


def host_array(device_tensor):
    """Device bytes copied to host memory, as numpy (the one copy a frontend needs)."""
    return device_tensor.detach().cpu().numpy()


def numpy_dtype(device_tensor):
    """The numpy dtype matching a torch tensor's dtype (for triton_dtype() without copying it)."""
    torch = _torch()
    return torch.empty(0, dtype=device_tensor.dtype).numpy().dtype
