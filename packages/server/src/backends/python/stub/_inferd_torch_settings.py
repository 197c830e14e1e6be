"""The config ``parameters`` of a pytorch model, as Triton's pytorch_backend documents them.

Each stub is one process for one model instance, so the process-wide torch switches (JIT executor, fuser,
threads, cuDNN) are set here for this instance alone; in Triton they are shared by the whole backend.
"""
import torch

import triton_python_backend_utils as pb_utils

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class SettingError(Exception):
    pass


def _parameters(config):
    out = {}
    for key, value in (config.get("parameters") or {}).items():
        out[key] = value.get("string_value", "") if isinstance(value, dict) else str(value)
    return out


class TorchSettings:
    def __init__(self, config, model_name, device):
        self._params = _parameters(config)
        self._model = model_name
        self.inference_mode = self._bool("INFERENCE_MODE", True)
        self.optimized = not self._bool("DISABLE_OPTIMIZED_EXECUTION", False)
        on_gpu = device is not None and device.type == "cuda"
        self.cache_cleaning = on_gpu and self._bool("ENABLE_CACHE_CLEANING", False)
        if self._bool("DISABLE_CUDNN", False):
            torch.backends.cudnn.enabled = False
        c = torch._C
        for key, setter in (("ENABLE_JIT_EXECUTOR", getattr(c, "_jit_set_profiling_executor", None)),
                            ("ENABLE_JIT_PROFILING", getattr(c, "_jit_set_profiling_mode", None)),
                            ("ENABLE_TENSOR_FUSER", getattr(c, "_jit_set_texpr_fuser_enabled", None))):
            if key in self._params:
                value = self._bool(key, True)
                if setter is None:
                    self._ignored(key, f"torch {torch.__version__} has no such switch")
                else:
                    setter(value)
        if "ENABLE_NVFUSER" in self._params:
            enabled = self._bool("ENABLE_NVFUSER", False)
            setter = getattr(c, "_jit_set_nvfuser_enabled", None)
            if not on_gpu or setter is None:
                self._ignored("ENABLE_NVFUSER", f"no effect on {device}")
            else:
                setter(enabled)
        if "ENABLE_CACHE_CLEANING" in self._params and not on_gpu:
            self._ignored("ENABLE_CACHE_CLEANING", f"no effect on {device}")
        if "ENABLE_WEIGHT_SHARING" in self._params and self._bool("ENABLE_WEIGHT_SHARING", False):
            self._ignored("ENABLE_WEIGHT_SHARING", "each instance is its own process with its own weights")
        if "TORCH_COMPILE_OPTIONAL_PARAMETERS" in self._params:
            self._ignored("TORCH_COMPILE_OPTIONAL_PARAMETERS", "a TorchScript model.pt is not run through torch.compile")
        for key in ("INTRA_OP_THREAD_COUNT", "NUM_THREADS"):
            if key in self._params:
                torch.set_num_threads(self._int(key))
        for key in ("INTER_OP_THREAD_COUNT", "NUM_INTEROP_THREADS"):
            if key in self._params:
                try:
                    torch.set_num_interop_threads(self._int(key))
                except RuntimeError:
                    # Only settable before torch ran parallel work; a second key naming it is the usual cause.
                    self._ignored(key, "the inter-op thread pool was already started")

    def _bool(self, key, default):
        if key not in self._params:
            return default
        text = self._params[key].strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise SettingError(f"failed to convert '{self._params[key]}' to a boolean for parameter '{key}' of "
                           f"model '{self._model}'")

    def _int(self, key):
        try:
            value = int(self._params[key].strip())
        except ValueError:
            value = 0
        if value <= 0:
            raise SettingError(f"parameter '{key}' of model '{self._model}' must be a positive integer, got "
                               f"'{self._params[key]}'")
        return value

    def _ignored(self, key, why):
        pb_utils.Logger.log_info(f"model '{self._model}': parameter {key} ignored: {why}")
