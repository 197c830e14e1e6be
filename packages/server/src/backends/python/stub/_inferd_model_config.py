"""ModelConfig for auto_complete_config (re-exported by triton_python_backend_utils)."""


class ModelConfig:
    """The config handed to ``TritonPythonModel.auto_complete_config`` (Triton's /config JSON shape)."""

    _INPUT_KEYS = ("name", "data_type", "dims", "optional")
    _OUTPUT_KEYS = ("name", "data_type", "dims")

    def __init__(self, model_config):
        self._model_config = model_config

    def as_dict(self):
        return self._model_config

    def _name(self):
        return self._model_config.get("name", "")

    def set_max_batch_size(self, max_batch_size):
        if not isinstance(max_batch_size, int) or isinstance(max_batch_size, bool) or max_batch_size < 0:
            raise ValueError(f"max_batch_size must be a non-negative int, got {max_batch_size!r}")
        current = self._model_config.get("max_batch_size", 0)
        if current > max_batch_size:
            raise ValueError(
                f"configuration specified max_batch_size {current}, but in auto-complete-config function for model "
                f"'{self._name()}' specified max_batch_size {max_batch_size}")
        self._model_config["max_batch_size"] = max_batch_size

    def set_dynamic_batching(self):
        if "sequence_batching" in self._model_config:
            raise ValueError(
                "Configuration specified scheduling_choice as 'sequence_batching', but auto-complete-config "
                f"function for model '{self._name()}' tries to set scheduling_choice as 'dynamic_batching'")
        if "ensemble_scheduling" in self._model_config:
            raise ValueError(
                "Configuration specified scheduling_choice as 'ensemble_scheduling', but auto-complete-config "
                f"function for model '{self._name()}' tries to set scheduling_choice as 'dynamic_batching'")
        self._model_config.setdefault("dynamic_batching", {})

    def add_input(self, input):
        self._add_io("input", input, self._INPUT_KEYS)

    def add_output(self, output):
        self._add_io("output", output, self._OUTPUT_KEYS)

    def _add_io(self, kind, entry, allowed):
        where = f"in auto-complete-config function for model '{self._name()}'"
        if not isinstance(entry, dict):
            raise ValueError(f"{kind} {where} must be a dict, got {type(entry).__name__}")
        for key in entry:
            if key not in allowed:
                raise ValueError(f"{kind} '{entry.get('name', '')}' {where} contains property other than "
                                 f"{', '.join(allowed)}: '{key}'")
        for key in ("name", "data_type", "dims"):
            if key not in entry:
                raise ValueError(f"{kind} {where} is missing '{key}' property.")
        entries = self._model_config.setdefault(kind, [])
        for existing in entries:
            if existing.get("name") != entry["name"]:
                continue
            if existing.get("data_type", "TYPE_INVALID") not in ("TYPE_INVALID", entry["data_type"]):
                raise ValueError(f"unable to load model '{self._name()}', configuration expects datatype "
                                 f"{existing['data_type']} for {kind} '{entry['name']}', model provides "
                                 f"{entry['data_type']}")
            if existing.get("dims") and list(existing["dims"]) != list(entry["dims"]):
                raise ValueError(f"model '{self._name()}', tensor '{entry['name']}': the model expects dims "
                                 f"{list(entry['dims'])} but the model configuration specifies dims "
                                 f"{list(existing['dims'])}")
            existing["data_type"] = entry["data_type"]
            existing["dims"] = list(entry["dims"])
            if "optional" in entry:
                existing["optional"] = entry["optional"]
            return
        entries.append(dict(entry, dims=list(entry["dims"])))

    def set_model_transaction_policy(self, transaction_policy_dict):
        if not isinstance(transaction_policy_dict, dict):
            raise ValueError("model_transaction_policy must be a dict")
        for key in transaction_policy_dict:
            if key != "decoupled":
                raise ValueError(f"model transaction property in auto-complete-config function for model "
                                 f"'{self._name()}' contains property other than 'decoupled'.")
        policy = self._model_config.setdefault("model_transaction_policy", {})
        if "decoupled" in transaction_policy_dict:
            # A decoupled setting config.pbtxt already has (rendered, so an empty policy reads False)
            # may be repeated but not changed, as in Triton.
            if "decoupled" in policy and policy["decoupled"] != transaction_policy_dict["decoupled"]:
                raise ValueError(f"trying to change decoupled property in auto-complete-config for model "
                                 f"'{self._name()}', which is already set to '{policy['decoupled']}'.")
            policy["decoupled"] = transaction_policy_dict["decoupled"]
