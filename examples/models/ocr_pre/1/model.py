# OCR pre-processing: encoded image bytes -> PaddleOCR PP-OCRv4 detector input.
# Follows PaddleOCR's DetResizeForTest (limit_type "max", limit_side_len 960) and NormalizeImage
# (ImageNet mean/std on the BGR image, as PaddleOCR feeds OpenCV's BGR arrays to its models).
import cv2
import numpy as np
import triton_python_backend_utils as pb_utils

LIMIT_SIDE = 960
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def decode(data):
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("IMAGE is not an image OpenCV can decode")
    return image


def det_input(image):
    """Resize so that both sides are multiples of 32 (at least 32), the longest at most LIMIT_SIDE."""
    h, w = image.shape[:2]
    ratio = min(1.0, LIMIT_SIDE / max(h, w))
    rh = max(int(round(h * ratio / 32)) * 32, 32)
    rw = max(int(round(w * ratio / 32)) * 32, 32)
    resized = cv2.resize(image, (rw, rh))
    x = (resized.astype(np.float32) / 255.0 - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis])


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                data = pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy().reshape(-1)[0]
                image = decode(data)
                responses.append(pb_utils.InferenceResponse(output_tensors=[
                    pb_utils.Tensor("DET_INPUT", det_input(image)),
                    pb_utils.Tensor("IMAGE_BGR", np.ascontiguousarray(image)),
                ]))
            except ValueError as err:
                # the client's data, not our fault: INVALID_ARG (HTTP 400)
                error = pb_utils.TritonError(str(err), pb_utils.TritonError.INVALID_ARG)
                responses.append(pb_utils.InferenceResponse(error=error))
        return responses
