# Decode (Pillow), resize, normalize to the CHW float tensor a vision model expects. Settings come from
# the config's parameters so one model.py serves models of any input size and normalization.
import io
import json

import numpy as np
from PIL import Image
import triton_python_backend_utils as pb_utils

# Pillow >= 9.1 names resampling filters in Image.Resampling; older ones only at module level.
BILINEAR = getattr(Image, "Resampling", Image).BILINEAR


def _floats(text, name):
    values = [float(v) for v in text.split(",")]
    if len(values) != 3:
        raise ValueError(f"parameter '{name}' needs 3 comma-separated values (R,G,B), got '{text}'")
    return np.array(values, dtype=np.float32).reshape(3, 1, 1)


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        self.height = int(params.get("height", "224"))
        self.width = int(params.get("width", "224"))
        self.mean = _floats(params.get("mean", "0,0,0"), "mean")
        self.std = _floats(params.get("std", "1,1,1"), "std")
        dims = [int(d) for d in pb_utils.get_output_config_by_name(config, "PIXELS")["dims"]]
        if dims != [3, self.height, self.width]:
            raise ValueError(f"output PIXELS dims {dims} do not match [3, height, width] = [3, {self.height}, {self.width}]")

    def execute(self, requests):
        responses = []
        for request in requests:
            images = pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy().reshape(-1)
            try:
                pixels = np.stack([self.preprocess(i, data) for i, data in enumerate(images)])
            except ValueError as err:
                responses.append(pb_utils.InferenceResponse(
                    error=pb_utils.TritonError(str(err), pb_utils.TritonError.INVALID_ARG)))
                continue
            responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("PIXELS", pixels)]))
        return responses

    def preprocess(self, index, data):
        try:
            with Image.open(io.BytesIO(data)) as image:
                rgb = image.convert("RGB").resize((self.width, self.height), BILINEAR)
        except OSError as err:  # PIL.UnidentifiedImageError is an OSError
            raise ValueError(f"image {index} could not be decoded: {err}") from err
        hwc = np.asarray(rgb, dtype=np.float32) / np.float32(255.0)
        return (hwc.transpose(2, 0, 1) - self.mean) / self.std
