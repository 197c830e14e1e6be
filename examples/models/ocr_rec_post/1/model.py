# CTC greedy decoding of PP-OCRv4 recognizer output, as PaddleOCR's CTCLabelDecode: per time step the most
# likely class; repeats collapsed; class 0 (the CTC blank) removed; classes 1..6623 are the lines of
# ppocr_keys_v1.txt and 6624 is a space (use_space_char). The line's score is the mean probability of the
# characters kept.
#
# One step past PaddleOCR: the Chinese recognizer often gives a word gap in Latin text to the blank, with the
# space class second, so greedy decoding reads "Hello Triton 2026" as "HelloTriton2026" (32 px DejaVu Sans).
# A run of blanks between two characters becomes a space when the space class reaches SPACE_MIN somewhere in
# it. Measured on Pillow renders (DejaVu Sans/Serif/Mono, WenQuanYi Micro Hei, 18-48 px): word gaps reach
# 0.035-1.0, gaps inside words and between CJK characters stay at or under 0.025.
import os

import numpy as np
import triton_python_backend_utils as pb_utils

DROP_SCORE = 0.5
SPACE_MIN = 0.03


def load_charset(path):
    with open(path, encoding="utf-8") as f:
        chars = [line.rstrip("\r\n") for line in f]
    return ["<blank>"] + chars + [" "]


def ctc_decode(probs, charset):
    """[T, C] probabilities -> (text, score)."""
    space = len(charset) - 1
    best = probs.argmax(axis=1)
    best_p = probs.max(axis=1)
    text, kept_p = [], []
    gap_space = 0.0  # the space class's highest probability in the current run of blanks
    for t, k in enumerate(best):
        if k == 0:
            gap_space = max(gap_space, float(probs[t, space]))
            continue
        if t > 0 and best[t - 1] == k:
            continue
        if k != space and gap_space >= SPACE_MIN and text and text[-1] != " ":
            text.append(" ")
        text.append(charset[k])
        kept_p.append(best_p[t])
        gap_space = 0.0
    score = float(np.mean(kept_p)) if kept_p else 0.0
    return "".join(text), score


class TritonPythonModel:
    def initialize(self, args):
        self.charset = load_charset(os.path.join(args["model_repository"], "ppocr_keys_v1.txt"))

    def execute(self, requests):
        responses = []
        for request in requests:
            probs = pb_utils.get_input_tensor_by_name(request, "PROBS").as_numpy()
            boxes = pb_utils.get_input_tensor_by_name(request, "DET_BOXES").as_numpy()
            if probs.shape[2] != len(self.charset):
                raise pb_utils.TritonModelException(
                    f"PROBS has {probs.shape[2]} classes, the dictionary {len(self.charset)}")
            texts, kept, scores = [], [], []
            # probs has one row more than boxes when there was no box (a blank crop): zip stops at boxes
            for row, box in zip(probs, boxes):
                text, score = ctc_decode(row, self.charset)
                if score >= DROP_SCORE and text != "":
                    texts.append(text.encode("utf-8"))
                    kept.append(box)
                    scores.append(score)
            responses.append(pb_utils.InferenceResponse(output_tensors=[
                pb_utils.Tensor("TEXT", np.array(texts, dtype=np.object_)),
                pb_utils.Tensor("BOXES", np.array(kept, dtype=np.float32).reshape(-1, 4, 2)),
                pb_utils.Tensor("SCORES", np.array(scores, dtype=np.float32)),
            ]))
        return responses
