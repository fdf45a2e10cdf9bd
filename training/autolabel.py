"""Boxes and toe directions for labelled photos that come without them.

Real labelled photos arrive as `path,label,side`: nobody draws a box round the
sole or notes which way its toe points. Trained as they are, the whole photo
would be the sole's "crop" and no box or pose target would exist, so the saved
model would read the wear of a crop it can never reproduce at inference and its
sole finder would learn nothing from the new photos. Instead an existing
solewear model (the bundled one by default) reads each such photo as the app
would - the side the researcher gave is kept - and its box and toe direction
become the photo's training targets. Photos in which it finds no sole keep the
old treatment (whole photo, no box or toe target) and are listed, so the
researcher sees what was labelled and can check or correct it
(`autolabels.csv` in the run folder, the manifest's own box and orientation
columns win wherever given).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from inference.decode import load_rgb
from inference.predictor import Predictor
from inference.settings import InferenceSettings
from training.data import Record, record_box
from training.finetune import resolve

COLUMNS = ("path", "side", "sole_probability", "labelled", "orientation", "box_x0", "box_y0", "box_x1", "box_y1")


@dataclass(frozen=True)
class Labelled:
    """What the labelling model read in one photo."""

    path: str
    side: str | None
    sole_probability: float
    labelled: bool                       # the box and toe direction were taken over
    orientation: str
    box: tuple[float, float, float, float]


def needs_label(record: Record) -> bool:
    """A photo on disk with a known pose (a researcher's labelled photo) but no box or no toe direction."""
    return (record.spec is None and record.pose_known and record.side is not None
            and (record_box(record) is None or not record.orientation_known))


def autolabel(records: list[Record], labeller: str, settings: InferenceSettings, batch_size: int = 16
              ) -> tuple[list[Record], list[Labelled]]:
    """Records with the labelling model's boxes and toe directions filled in where they were missing.

    `labeller`: "bundled" or a checkpoint path. A box or orientation the data set
    gave is kept; only a photo where the model finds a sole gets either.
    """
    todo = [i for i, r in enumerate(records) if needs_label(r)]
    if not todo:
        return records, []
    predictor = Predictor(resolve(labeller), settings=settings)   # read as the app reads (onnxruntime on a CPU)
    pipeline, orientations = predictor.pipeline, predictor.taxonomy.orientations
    out, found = list(records), []
    for start in range(0, len(todo), batch_size):
        chunk = todo[start:start + batch_size]
        images = [load_rgb(records[i].path) for i in chunk]
        fwd = pipeline.two_pass(images, [records[i].side for i in chunk])
        sole = pipeline.found(fwd)
        for k, i in enumerate(chunk):
            r, box = records[i], tuple(float(v) for v in fwd.scene.boxes[k])
            turns = int(fwd.scene.orientation[k])
            if sole[k]:
                out[i] = replace(r, box=record_box(r) or box, orientation=r.orientation if r.orientation_known else turns,
                                 orientation_known=True)
            found.append(Labelled(str(r.path), r.side, float(fwd.scene.sole_prob[k]), bool(sole[k]), orientations[turns], box))
    return out, found


def write_report(found: list[Labelled], path: Path) -> None:
    """autolabels.csv: every photo the model labelled, or failed to, for the researcher to check."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for f in found:
            writer.writerow([f.path, f.side, f"{f.sole_probability:.3f}", "yes" if f.labelled else "no", f.orientation,
                             *(f"{v:.1f}" for v in f.box)])


def summary(found: list[Labelled]) -> str:
    """One line for the run's output."""
    labelled = sum(f.labelled for f in found)
    missed = len(found) - labelled
    share = np.mean([f.labelled for f in found]) if found else 0.0
    return (f"note: {len(found)} photo(s) came without a sole box or toe direction; the labelling model found the sole "
            f"in {labelled} ({share:.0%}) and gave them its box and toe direction"
            + (f"; {missed} keep the whole photo as their crop and no box or toe target" if missed else "")
            + " (autolabels.csv)")
