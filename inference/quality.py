"""The photo-quality half of the quality gate: light, sharpness, size.

The model-based half (no sole, low confidence, uncertain side) is decided in
the Predictor from the model's own outputs; both use thresholds from
`configs/inference.yaml`. Flag ids come from the taxonomy config.
"""

from __future__ import annotations

import cv2
import numpy as np

from inference.preprocess import Box, crop_resized, square_box
from inference.settings import Quality

MEASURE_SIDE = 256


def photo_measures(image: np.ndarray, box: Box) -> dict[str, float]:
    """Luminance, sharpness and relative size of the sole region, resolution-independent."""
    crop = crop_resized(image, square_box(box, image.shape[:2], 0.0), MEASURE_SIDE)
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    x0, y0, x1, y1 = box
    h, w = image.shape[:2]
    area = max(0.0, min(x1, w) - max(x0, 0)) * max(0.0, min(y1, h) - max(y0, 0)) / (w * h)
    return {"luminance": float(gray.mean() / 255), "sharpness": float(cv2.Laplacian(gray, cv2.CV_64F).var()),
            "sole_area": float(area)}


def photo_flags(measures: dict[str, float], q: Quality, flag_ids: tuple[str, ...]) -> list[str]:
    """Flags from the measures, in the taxonomy's order."""
    raised = {
        "too_dark": measures["luminance"] < q.dark_luminance,
        "too_bright": measures["luminance"] > q.bright_luminance,
        "too_blurry": measures["sharpness"] < q.min_sharpness,
        "sole_too_small": measures["sole_area"] < q.min_sole_area,
    }
    unknown = set(raised) - set(flag_ids)
    if unknown:
        raise ValueError(f"flags {sorted(unknown)} are not in the taxonomy")
    return [f for f in flag_ids if raised.get(f)]
