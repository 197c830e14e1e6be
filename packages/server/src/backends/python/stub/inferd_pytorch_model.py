"""inferd's pytorch backend: a TritonPythonModel that runs a TorchScript ``model.pt`` with this interpreter's torch.

The TypeScript side (backends/pytorch) runs this file in the ordinary Python stub, so process management,
framing, shared-memory transfer, batching and restarts are the Python backend's. A batch of requests becomes
one forward() call: inputs are joined along dimension 0 when the model batches (max_batch_size > 0), and the
outputs are split back by each request's batch size. Input bytes are wrapped without copying where one
request fills the batch (torch.from_numpy over the frame's memory).
"""
import json
import os

import numpy as np
import torch

import triton_python_backend_utils as pb_utils
import _inferd_torch_io as tio
from _inferd_torch_staging import PinnedStaging, contiguous_rows
from _inferd_torch_settings import SettingError, TorchSettings

class _TritonText(pb_utils.TritonModelException):
    """An error reported with its text alone, as Triton's pytorch backend words it (no Python type name)."""

    inferd_plain_message = True


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.name = config.get("name", args.get("model_name", ""))
        self.max_batch_size = int(config.get("max_batch_size", 0) or 0)
        self.inputs = list(config.get("input") or [])
        self.outputs = list(config.get("output") or [])
        filename = config.get("default_model_filename") or "model.pt"
        path = os.path.join(args["model_repository"], args["model_version"], filename)
        try:
            self._init(args, config, path)
        except tio.LoadError as err:
            # Triton's text, without a Python traceback around it.
            raise _TritonText(str(err)) from None

    def _init(self, args, config, path):
        self.device = self._device(args)
        self.staging = PinnedStaging()
        self._device_paths = {}
        try:
            self.settings = TorchSettings(config, self.name, self.device or torch.device("cpu"))
        except SettingError as err:
            raise tio.LoadError(str(err)) from None
        if not os.path.isfile(path):
            raise tio.LoadError(f"unable to find '{path}' for model instance '{args.get('model_instance_name', '')}'")
        try:
            self.module = torch.jit.load(path, map_location=self.device)
        except Exception as err:  # noqa: BLE001 - torch raises RuntimeError and others for bad files
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise tio.LoadError(f"failed to load model '{self.name}': {first}") from None
        self.module.eval()
        tio.check_datatypes(self.name, self.inputs, "input")
        tio.check_datatypes(self.name, self.outputs, "output")
        self.mode, self.order = tio.bind_inputs(self.name, self.inputs, tio.forward_arguments(self.module))
        self.output_index = tio.output_indices(self.outputs)

    def _device(self, args):
        kind = args.get("model_instance_kind", "CPU")
        if kind == "GPU":
            device_id = int(args.get("model_instance_device_id", "0") or 0)
            if not torch.cuda.is_available():
                raise tio.LoadError(f"model '{self.name}': instance kind KIND_GPU but torch {torch.__version__} "
                                    "sees no CUDA device")
            index = tio.cuda_index(device_id, os.environ.get("CUDA_VISIBLE_DEVICES"))
            if index >= torch.cuda.device_count():
                raise tio.LoadError(f"model '{self.name}': GPU {device_id} is not visible to this instance "
                                    f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')})")
            return torch.device(f"cuda:{index}")
        if kind == "MODEL":
            # Triton: the model keeps the devices it was saved with; inputs are prepared on the CPU.
            return None
        return torch.device("cpu")

    def execute(self, requests):
        sizes = [self._batch_size(r) for r in requests]
        total = sum(sizes)
        if self.max_batch_size > 0 and total > self.max_batch_size and total != 1:
            raise _TritonText(
                f"batch size {total} for '{self.name}', max allowed is {self.max_batch_size}")
        grad = torch.inference_mode() if self.settings.inference_mode else torch.no_grad()
        # Inputs are made under the guard too, so that they are inference tensors when the mode is on.
        with grad, torch.jit.optimized_execution(self.settings.optimized):
            feeds = [self._gather(io, requests) for io in self.inputs]
            if self.mode == "dict":
                result = self.module({io["name"]: feed for io, feed in zip(self.inputs, feeds)})
            else:
                result = self.module(*[feeds[i] for i in self.order])
        results = tio.as_result_list(result)
        outputs = [self._output(io, index, results) for io, index in zip(self.outputs, self.output_index)]
        if self.settings.cache_cleaning:
            torch.cuda.empty_cache()
        responses, start = [], 0
        for size in sizes:
            tensors = [pb_utils.Tensor(io["name"], self._slice(arr, start, size, total)) for io, arr in zip(self.outputs, outputs)]
            responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
            start += size
        return responses

    def _batch_size(self, request):
        if self.max_batch_size == 0:
            return 1
        first = request.inputs()[0].as_numpy()
        return int(first.shape[0]) if first.ndim > 0 else 1

    def _gather(self, io, requests):
        arrays = [pb_utils.get_input_tensor_by_name(r, io["name"]).as_numpy() for r in requests]
        if io.get("data_type") == tio.STRING:
            # torch takes strings as List[str]: every element of the batch, in order.
            return [x.decode("utf-8") if isinstance(x, bytes) else str(x) for a in arrays for x in a.reshape(-1)]
        if self.device is not None and self.device.type == "cuda":
            staged = self.staging.to_device(io["name"], arrays, self.device)
            if staged is not None:
                path = self.staging.last_path.get(io["name"])
                if path != self._device_paths.get(io["name"]):
                    # Once per change: which way an input reaches the GPU is a deployment fact worth a line.
                    self._device_paths[io["name"]] = path
                    how = ("by DMA from the shared region (page-locked)" if path == "region"
                           else "through pinned staging (copied there first)")
                    pb_utils.Logger.log_info(f"model '{self.name}': input '{io['name']}' goes to {self.device} {how}")
                return staged
        joined = None
        if len(arrays) > 1:
            # Rows the server wrote back to back into the shared region are one batch already: a view, no copy.
            joined, _ = contiguous_rows(arrays)
        if joined is None:
            joined = arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=0)
        if not joined.flags.writeable:
            joined = joined.copy()
        tensor = torch.from_numpy(joined)
        return tensor if self.device is None or self.device.type == "cpu" else tensor.to(self.device, non_blocking=True)

    def _output(self, io, index, results):
        name = io["name"]
        if index < 0 or index >= len(results):
            raise _TritonText(
                f"The output {name} in the model configuration refers to an output index which doesn't exist. "
                f"This model has {len(results)} outputs")
        value = results[index]
        if io.get("data_type") == tio.STRING:
            if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
                raise _TritonText(
                    f"output '{name}' of model '{self.name}' is TYPE_STRING: the model must return a List[str], "
                    f"got {type(value).__name__}")
            return np.array([s.encode("utf-8") for s in value], dtype=np.object_)
        if not isinstance(value, torch.Tensor):
            raise _TritonText(
                f"output '{name}' of model '{self.name}': expected a Tensor, got {type(value).__name__}")
        got = tio.CONFIG_BY_TORCH.get(value.dtype, str(value.dtype))
        if got != io.get("data_type"):
            raise _TritonText(
                f"configuration expects datatype {io.get('data_type')} for output '{name}', model provides {got}")
        return value.detach().cpu().contiguous().numpy()

    def _slice(self, array, start, size, total):
        if self.max_batch_size == 0:
            return array
        if array.dtype == np.object_ and array.ndim == 1:
            # A List[str] for the whole batch: split evenly into rows, one per batch element.
            per = len(array) // total if total else 0
            return array[start * per:(start + size) * per].reshape(size, per)
        return array[start:start + size]
