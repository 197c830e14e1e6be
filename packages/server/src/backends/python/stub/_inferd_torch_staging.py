"""Host staging for the PyTorch backend's inputs bound for a CUDA device.

A batch arrives as one NumPy view per request (into the shared region the server wrote). Joining them with
np.concatenate makes a fresh pageable array (its pages fault in as it is written), and `.to(cuda)` from
pageable memory is a synchronous copy through the driver's own bounce buffer: measured on an H100 at batch 32
(19 MB), the two took as long as the ResNet-50 forward itself. Here each input has one pinned host buffer,
reused from execution to execution: the requests' rows are copied into it once (warm pages) and the device
copy is a DMA from pinned memory that runs on the stream, as raw PyTorch code does it.

A buffer is reused only after the device copy that read it has finished (a CUDA event per input).
"""
import numpy as np
import torch


class PinnedStaging:
    def __init__(self):
        self._buffers = {}
        self._events = {}

    def to_device(self, name, arrays, device):
        """The batch of `arrays` (joined on axis 0, or the one array) as a tensor on `device`."""
        first = arrays[0]
        if len(arrays) == 1:
            shape = first.shape
        elif first.ndim > 0 and all(a.ndim == first.ndim and a.shape[1:] == first.shape[1:] and a.dtype == first.dtype for a in arrays):
            shape = (sum(a.shape[0] for a in arrays),) + first.shape[1:]
        else:
            return None  # not a plain row-wise batch: the caller joins it (and reports NumPy's error)
        try:
            dtype = torch.from_numpy(np.empty((0,), dtype=first.dtype)).dtype
        except TypeError:
            return None
        count = int(np.prod(shape, dtype=np.int64))
        host = self._host(name, dtype, count, device)[:count].view(shape)
        out = host.numpy()
        if len(arrays) == 1:
            out[...] = first
        else:
            at = 0
            for a in arrays:
                out[at:at + a.shape[0]] = a
                at += a.shape[0]
        moved = host.to(device, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        self._events[name] = event
        return moved

    def _host(self, name, dtype, count, device):
        event = self._events.pop(name, None)
        if event is not None:
            event.synchronize()  # the previous execution's copy out of this buffer is done
        buf = self._buffers.get(name)
        if buf is None or buf.dtype != dtype or buf.numel() < count:
            with torch.cuda.device(device):
                buf = torch.empty((count,), dtype=dtype, pin_memory=True)
            self._buffers[name] = buf
        return buf
