# OCR post-processing of the PP-OCRv4 detector and pre-processing of the recognizer.
# Parameters are PaddleOCR's published inference defaults (tools/infer/utility.py): det_db_thresh 0.3,
# det_db_box_thresh 0.6, det_db_unclip_ratio 1.5, max 1000 candidates, min box side 3, "fast" box score;
# rec_image_shape 3,48,320. The algorithm follows PaddleOCR's DBPostProcess, sorted_boxes,
# get_rotate_crop_image and resize_norm_img; the code is ours.
import cv2
import numpy as np
import pyclipper
import triton_python_backend_utils as pb_utils
from shapely.geometry import Polygon

THRESH = 0.3
BOX_THRESH = 0.6
UNCLIP_RATIO = 1.5
MAX_CANDIDATES = 1000
MIN_SIZE = 3
REC_H = 48
REC_MIN_W = 320  # crops are padded to at least this width, as PaddleOCR's rec_image_shape
SAME_LINE_PX = 10  # boxes whose tops differ by less are on one line, ordered left to right


def mini_box(contour):
    """The minimum-area rectangle of a contour as 4 corners (top-left, top-right, bottom-right,
    bottom-left) and its shorter side."""
    rect = cv2.minAreaRect(contour)
    pts = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    left = sorted(pts[:2], key=lambda p: p[1])
    right = sorted(pts[2:], key=lambda p: p[1])
    box = np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)
    return box, min(rect[1])


def box_score(prob, box):
    """Mean probability inside the box (PaddleOCR's "fast" score)."""
    h, w = prob.shape
    xmin = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = box.copy()
    shifted[:, 0] -= xmin
    shifted[:, 1] -= ymin
    cv2.fillPoly(mask, [shifted.astype(np.int32)], 1)
    return cv2.mean(prob[ymin:ymax + 1, xmin:xmax + 1], mask)[0]


def unclip(box):
    """Grows the box by area * ratio / perimeter on every side (DB shrinks text regions in training)."""
    poly = Polygon(box)
    distance = poly.area * UNCLIP_RATIO / poly.length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box.tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    expanded = offset.Execute(distance)
    if len(expanded) != 1:
        return None
    return np.array(expanded[0], dtype=np.float32).reshape(-1, 1, 2)


def detect_boxes(prob, src_h, src_w):
    """Text boxes in the source image's pixels from the probability map (at the detector's size)."""
    h, w = prob.shape
    bitmap = (prob > THRESH).astype(np.uint8) * 255
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours[:MAX_CANDIDATES]:
        box, side = mini_box(contour)
        if side < MIN_SIZE or box_score(prob, box) < BOX_THRESH:
            continue
        expanded = unclip(box)
        if expanded is None:
            continue
        box, side = mini_box(expanded)
        if side < MIN_SIZE + 2:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / w * src_w), 0, src_w - 1)
        box[:, 1] = np.clip(np.round(box[:, 1] / h * src_h), 0, src_h - 1)
        # too thin once scaled back: not a text line
        if np.linalg.norm(box[0] - box[1]) <= 3 or np.linalg.norm(box[0] - box[3]) <= 3:
            continue
        boxes.append(box)
    return reading_order(boxes)


def reading_order(boxes):
    """Top-to-bottom by the top-left corner, then left-to-right among boxes on the same line."""
    boxes = sorted(boxes, key=lambda b: (b[0][1], b[0][0]))
    for i in range(len(boxes) - 1):
        for j in range(i, -1, -1):
            a, b = boxes[j], boxes[j + 1]
            if abs(b[0][1] - a[0][1]) < SAME_LINE_PX and b[0][0] < a[0][0]:
                boxes[j], boxes[j + 1] = b, a
            else:
                break
    return boxes


def crop(image, box):
    """The box's quadrilateral warped to an upright rectangle; tall crops are turned to lie flat."""
    w = int(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3])))
    h = int(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2])))
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(box.astype(np.float32), target)
    out = cv2.warpPerspective(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if out.shape[0] / out.shape[1] >= 1.5:
        out = np.rot90(out)
    return out


def rec_batch(crops):
    """Crops resized to height 48 (aspect kept), normalized to [-1, 1] and right-padded with 0 to one
    width: max(320, the widest crop)."""
    width = max([REC_MIN_W] + [int(np.ceil(REC_H * c.shape[1] / c.shape[0])) for c in crops])
    batch = np.zeros((len(crops), 3, REC_H, width), dtype=np.float32)
    for i, c in enumerate(crops):
        w = min(width, int(np.ceil(REC_H * c.shape[1] / c.shape[0])))
        resized = cv2.resize(c, (w, REC_H)).astype(np.float32)
        batch[i, :, :, :w] = (resized / 255.0 - 0.5).transpose(2, 0, 1) / 0.5
    return batch


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            prob = pb_utils.get_input_tensor_by_name(request, "PROB_MAP").as_numpy()[0, 0]
            image = pb_utils.get_input_tensor_by_name(request, "IMAGE_BGR").as_numpy()
            boxes = detect_boxes(prob, image.shape[0], image.shape[1])
            if boxes:
                crops = rec_batch([crop(image, b) for b in boxes])
            else:
                crops = np.zeros((1, 3, REC_H, REC_MIN_W), dtype=np.float32)
            det_boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4, 2)
            responses.append(pb_utils.InferenceResponse(output_tensors=[
                pb_utils.Tensor("CROPS", crops),
                pb_utils.Tensor("DET_BOXES", det_boxes),
            ]))
        return responses
