"""Nudity classification with NudeNet, whose detector model ships inside its package.

A classification takes about as long as a picture's upload processing, so it runs in a
worker process, never on the event loop. The ONNX session is created on first use, once per
process, with one thread for each of its pools: one worker is one core, and the operator
sizes the pool to the cores there are.

NudeNet finds body parts with a label and a confidence; the exposed ones listed in
`NudityThresholds.labels` become signals. Covered parts, faces, feet and the like never do.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import onnxruntime  # type: ignore[import-untyped]
from nudenet import nudenet as nudenet_model  # type: ignore[import-untyped]
from PIL import Image, ImageOps

from plaza.moderation.detectors.signals import Rule, Signal

EXPOSED_LABELS = frozenset({
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
})  # fmt: skip
# NudeNet's model looks at 320x320; decoding and padding a bigger picture only costs time.
CLASSIFY_SIDE_PX = 640


@dataclass(frozen=True, slots=True)
class NudityThresholds:
    """Which labels count, and from which confidence (NudeNet's own floor is 0.2)."""

    min_score: float = 0.5
    labels: frozenset[str] = EXPOSED_LABELS


@cache
def _session() -> onnxruntime.InferenceSession:
    """NudeNet's bundled model in an ONNX Runtime session on one thread (built once per
    process: loading takes a fifth of a second)."""
    cv2.setNumThreads(1)  # NudeNet prepares pictures with OpenCV, which would use every core
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    model = Path(nudenet_model.__file__).with_name("320n.onnx")
    return onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )


class NudityClassifier:
    """NudeNet's detector, loaded lazily: constructing one costs nothing, the first
    classification in a process loads the model."""

    def detections(self, image_bytes: bytes) -> list[dict[str, object]]:
        """NudeNet's findings for a picture: [{"class": label, "score": s, "box": [...]}]."""
        with Image.open(io.BytesIO(image_bytes)) as opened:
            opened.draft("RGB", (CLASSIFY_SIDE_PX, CLASSIFY_SIDE_PX))  # JPEG: decode smaller
            picture = ImageOps.exif_transpose(opened).convert("RGB")
        picture.thumbnail((CLASSIFY_SIDE_PX, CLASSIFY_SIDE_PX))
        # NudeNet's own reading of a file is OpenCV's: channels in BGR order.
        bgr = np.ascontiguousarray(np.asarray(picture, dtype=np.uint8)[:, :, ::-1])
        session = _session()
        blob, x_ratio, y_ratio, x_pad, y_pad, width, height = nudenet_model._read_image(bgr, 320)
        outputs = session.run(None, {session.get_inputs()[0].name: blob})
        found: list[dict[str, object]] = nudenet_model._postprocess(
            outputs, x_pad, y_pad, x_ratio, y_ratio, width, height, 320, 320
        )
        return found

    def classify(
        self, image_bytes: bytes, rule: Rule, thresholds: NudityThresholds
    ) -> list[Signal]:
        """Signals for the exposed body parts NudeNet finds in the picture."""
        return nudity_signals(self.detections(image_bytes), rule, thresholds)


def nudity_signals(
    detections: Iterable[Mapping[str, object]], rule: Rule, thresholds: NudityThresholds
) -> list[Signal]:
    """One signal per counted label, with its best confidence, most confident first."""
    best: dict[str, float] = {}
    for detection in detections:
        label, score = str(detection["class"]), detection["score"]
        if not isinstance(score, float | int):
            continue
        if label in thresholds.labels and score >= thresholds.min_score:
            best[label] = max(best.get(label, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda item: -item[1])
    signals = []
    for label, score in ranked:
        evidence: dict[str, str | int | float] = {"label": label, "score": round(score, 3)}
        signals.append(
            Signal(rule.policy_id, rule.clause, "image.nudity", round(score, 3), evidence)
        )
    return signals
