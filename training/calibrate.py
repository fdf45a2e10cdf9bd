"""`solewear calibrate`: fit the checkpoint's temperature on what users get - the two-pass forward on whole photos.

Training fits a temperature on validation crops cut with the true sole box;
the Predictor crops with the box it found itself, which makes it a little less
sure. Refitting on the same validation photos through the Predictor's own
forward closes that gap. Only the metadata changes; the weights stay as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inference.checkpoint import write_meta
from inference.settings import load_inference_settings
from training.evaluate import collect
from training.metrics import temperature_record


def calibrate(checkpoint: Path, data: Path, progress: bool = True) -> dict:
    """Refit and store the temperature; returns the calibration record written into the metadata."""
    collected = collect(checkpoint, data, load_inference_settings(), progress=progress, pose_check=False)
    logits, labels = np.concatenate(collected.logits), np.array(collected.labels)
    record = dict(temperature_record(logits, labels, "validation photos, two-pass forward as in the Predictor"),
                  data=str(data), n_images=int(len(labels)), previous=collected.meta.get("calibration"))
    write_meta(checkpoint, dict(collected.meta, temperature=record["temperature"], calibration=record))
    return record
