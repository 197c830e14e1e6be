"""inferd's pytorch backend: a TritonPythonModel that runs a TorchScript ``model.pt`` with this interpreter's torch.

The TypeScript side (backends/pytorch) runs this file in the ordinary Python stub, so process management,
framing, shared-memory transfer, batching and restarts are the Python backend's. A batch of requests becomes
one forward() call: inputs are joined along dimension 0 when the model batches (max_batch_size > 0), and the
outputs are split back by each request's batch size. Input bytes are wrapped without copying where one
request fills the batch (torch.from_numpy over the frame's memory).
"""
import json
import os
import contextlib

import numpy as np
import torch

import triton_python_backend_utils as pb_utils
import _inferd_torch_io as tio

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
# Parameters that only mean something on a CUDA device: accepted on the CPU with one log line.
_CUDA_ONLY = ("ENABLE_NVFUSER", "ENABLE_CACHE_CLEANING")


def _parameters(config):
    out = {}
    for key, value in (config.get("parameters") or {}).items():
        out[key] = value.get("string_value", "") if isinstance(value, dict) else str(value)
    return out


def _bool_parameter(params, key, default, model_name):
    if key not in params:
        return default
    text = params[key].strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise tio.LoadError(f"failed to convert '{params[key]}' to a boolean for parameter '{key}' of model '{model_name}'")


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
            raise pb_utils.TritonModelException(str(err)) from None

    def _init(self, args, config, path):
        self.device = self._device(args)
        params = _parameters(config)
        self.inference_mode = _bool_parameter(params, "INFERENCE_MODE", False, self.name)
        optimized = not _bool_parameter(params, "DISABLE_OPTIMIZED_EXECUTION", False, self.name)
        self._jit_settings(params)
        for key in _CUDA_ONLY:
            if key in params and self.device.type != "cuda":
                pb_utils.Logger.log_info(f"model '{self.name}': parameter {key} has no effect on {self.device}; ignored")
        self.cache_cleaning = self.device.type == "cuda" and _bool_parameter(params, "ENABLE_CACHE_CLEANING", False, self.name)
        self.optimized = optimized
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
            # inferd pins a GPU instance's stub to its GPU (CUDA_VISIBLE_DEVICES=<uuid>): the one device it
            # sees is cuda:0, whatever the instance's id among the server's GPUs.
            return torch.device("cuda:0" if torch.cuda.device_count() == 1 else f"cuda:{device_id}")
        return torch.device("cpu")

    def _jit_settings(self, params):
        """ENABLE_JIT_EXECUTOR / ENABLE_JIT_PROFILING / ENABLE_TENSOR_FUSER: process-wide torch switches, as in Triton."""
        c = torch._C
        for key, setter in (("ENABLE_JIT_EXECUTOR", getattr(c, "_jit_set_profiling_executor", None)),
                            ("ENABLE_JIT_PROFILING", getattr(c, "_jit_set_profiling_mode", None)),
                            ("ENABLE_TENSOR_FUSER", getattr(c, "_jit_set_texpr_fuser_enabled", None))):
            if key not in params:
                continue
            value = _bool_parameter(params, key, True, self.name)
            if setter is None:
                pb_utils.Logger.log_info(f"model '{self.name}': parameter {key} is not available in torch "
                                         f"{torch.__version__}; ignored")
            else:
                setter(value)

    def execute(self, requests):
        sizes = [self._batch_size(r) for r in requests]
        total = sum(sizes)
        if self.max_batch_size > 0 and total > self.max_batch_size and total != 1:
            raise pb_utils.TritonModelException(
                f"batch size {total} for '{self.name}', max allowed is {self.max_batch_size}")
        feeds = [self._gather(io, requests) for io in self.inputs]
        grad = torch.inference_mode() if self.inference_mode else torch.no_grad()
        with grad, torch.jit.optimized_execution(self.optimized):
            if self.mode == "dict":
                result = self.module({io["name"]: feed for io, feed in zip(self.inputs, feeds)})
            else:
                result = self.module(*[feeds[i] for i in self.order])
        results = tio.as_result_list(result)
        outputs = [self._output(io, index, results) for io, index in zip(self.outputs, self.output_index)]
        if self.cache_cleaning:
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
        joined = arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=0)
        if not joined.flags.writeable:
            joined = joined.copy()
        tensor = torch.from_numpy(joined)
        return tensor if self.device.type == "cpu" else tensor.to(self.device, non_blocking=True)

    def _output(self, io, index, results):
        name = io["name"]
        if index < 0 or index >= len(results):
            raise pb_utils.TritonModelException(
                f"The output {name} in the model configuration refers to an output index which doesn't exist. "
                f"This model has {len(results)} outputs")
        value = results[index]
        if io.get("data_type") == tio.STRING:
            if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
                raise pb_utils.TritonModelException(
                    f"output '{name}' of model '{self.name}' is TYPE_STRING: the model must return a List[str], "
                    f"got {type(value).__name__}")
            return np.array([s.encode("utf-8") for s in value], dtype=np.object_)
        if not isinstance(value, torch.Tensor):
            raise pb_utils.TritonModelException(
                f"output '{name}' of model '{self.name}': expected a Tensor, got {type(value).__name__}")
        got = tio.CONFIG_BY_TORCH.get(value.dtype, str(value.dtype))
        if got != io.get("data_type"):
            raise pb_utils.TritonModelException(
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
