"""How a TorchScript model's forward() meets a Triton model config (inferd's pytorch backend).

Triton's rules, as its pytorch_backend documents them:
- inputs bind to forward() by argument name when every config input is one (FORWARD_ARGUMENT), else by the
  index in a ``<name>__<index>`` name when every config input has one (NAMED_INDEX), else in config order
  (STRICT_CONFIG_ORDERING). A forward() taking one ``Dict[str, Tensor]`` gets the inputs by config name.
- outputs: ``<name>__<index>`` picks the index into the tuple forward() returns; otherwise config order.
- BYTES travels as ``List[str]`` both ways (torch has no string tensor), so only 1-D string I/O.
"""
import re

import torch

# Config data_type -> torch dtype (no unsigned above 8 bits in torch; BF16 has no numpy type for pb_utils).
TORCH_BY_CONFIG = {
    "TYPE_BOOL": torch.bool,
    "TYPE_UINT8": torch.uint8,
    "TYPE_INT8": torch.int8,
    "TYPE_INT16": torch.int16,
    "TYPE_INT32": torch.int32,
    "TYPE_INT64": torch.int64,
    "TYPE_FP16": torch.float16,
    "TYPE_FP32": torch.float32,
    "TYPE_FP64": torch.float64,
}
CONFIG_BY_TORCH = {v: k for k, v in TORCH_BY_CONFIG.items()}
STRING = "TYPE_STRING"

_NAMED_INDEX = re.compile(r"^.+__(\d+)$")


class LoadError(Exception):
    """A config/model mismatch found at load time; the text is Triton's."""


def forward_arguments(module):
    """forward()'s arguments as (name, type string), without self."""
    schema = module._c._get_method("forward").schema
    args = list(schema.arguments)
    if args and args[0].name == "self":
        args = args[1:]
    return [(a.name, str(a.type)) for a in args]


def check_datatypes(model_name, ios, kind):
    for io in ios:
        dt = io.get("data_type", "")
        if dt != STRING and dt not in TORCH_BY_CONFIG:
            raise LoadError(f"unsupported datatype {dt} for {kind} '{io['name']}' for model '{model_name}'")


def bind_inputs(model_name, config_inputs, arguments):
    """('dict', None) or ('positional', [config input index for each forward() argument])."""
    if not config_inputs:
        raise LoadError("model configuration must contain at least one input, none were specified.")
    types = [t for _, t in arguments]
    dicts = [t for t in types if t.startswith(("Dict(", "Dict["))]
    if len(arguments) == 1 and dicts:
        return "dict", None
    if dicts:
        raise LoadError("Multiple inputs of kind DictType were detected. Only a single input of type "
                        "Dict(str, Tensor) is supported.")
    for t in types:
        if t not in ("Tensor", "List[str]"):
            raise LoadError(f"An input of type '{t}' was detected in the model. Only a single input of type "
                            "Dict(str, Tensor) or input(s) of type Tensor are supported.")
    if len(arguments) != len(config_inputs):
        raise LoadError(f"unable to load model '{model_name}', configuration expects {len(config_inputs)} inputs, "
                        f"model provides {len(arguments)}")
    names = [n for n, _ in arguments]
    config_names = [io["name"] for io in config_inputs]
    if all(n in names for n in config_names):
        return "positional", [config_names.index(n) for n in names]
    indices = [_index_of(n) for n in config_names]
    if all(i is not None for i in indices):
        order = [None] * len(arguments)
        for config_pos, i in enumerate(indices):
            if i >= len(arguments) or order[i] is not None:
                raise LoadError(f"input '{config_names[config_pos]}' does not follow naming convention "
                                "i.e. <name>__<index>.")
            order[i] = config_pos
        return "positional", order
    return "positional", list(range(len(config_inputs)))


def output_indices(config_outputs):
    """The forward() result index of each config output."""
    if not config_outputs:
        raise LoadError("model configuration must contain at least one output, none were specified.")
    indices = [_index_of(io["name"]) for io in config_outputs]
    if all(i is not None for i in indices):
        return indices
    return list(range(len(config_outputs)))


def _index_of(name):
    m = _NAMED_INDEX.match(name)
    return int(m.group(1)) if m else None


def as_result_list(result):
    """forward()'s result as a list of outputs (a tensor, a List[str], or a tuple/list of them)."""
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        if result and all(isinstance(x, str) for x in result):
            return [list(result)]
        return list(result)
    return [result]
