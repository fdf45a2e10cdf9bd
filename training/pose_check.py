"""Does a reading survive turning and mirroring the photo? One sole in its eight symmetric poses.

A quarter turn or a mirror moves no pixel off the grid, so every view shows the
same sole, and its side and toe direction follow from the photo's own (a
mirrored left sole is a right one). A steady model finds the sole in all eight
views, gets side and toe direction right in each, and gives one wear class.
None of that needs a wear label, so it can be measured on real photographs,
where no accuracy can: the model card sets their steadiness beside that of
generated test photos, and the gap between the two is a measure of how far
real soles lie from what the model was trained on.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable

import numpy as np
from PIL import Image

from inference.forward import SYMMETRIC_VIEWS
from inference.predictor import Predictor
from inference.preprocess import apply_pose, compose_pose
from inference.taxonomy import load_taxonomy


def _png(array: np.ndarray) -> bytes:
    """Lossless bytes, so the views differ in pose only."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def posed_views(image: np.ndarray, side: str, orientation: str) -> list[tuple[np.ndarray, str, str]]:
    """The photo in each symmetric pose, with the side and toe direction the sole then has."""
    tax = load_taxonomy()
    views = []
    for turns, mirror in SYMMETRIC_VIEWS:
        view = apply_pose(image, turns, "right" if mirror else "left")
        quarter, mirrored = compose_pose(tax.orientations.index(orientation), side == "right", turns, mirror)
        views.append((view, "right" if mirrored else "left", tax.orientations[quarter]))
    return views


def pose_consistency(predictor: Predictor, name: str, image: np.ndarray, side: str, orientation: str) -> dict:
    """One photo read in its eight poses: how often the sole is found, side and toe direction right, the class the same.

    `agreement` is the share of the views given a class that give the photo's most
    common one (None when no view was). A view whose class is withheld - no sole
    found, or a photo-quality flag such as `too_dark` - is counted in `labelled`
    instead: there the flag, not a class, is the app's answer.
    """
    views = posed_views(image, side, orientation)
    read = predictor.predict_batch([_png(v) for v, _, _ in views])
    found = [p[0] if "no_sole_found" not in p[0].flags else None for p in read]
    labels = Counter(p.label for p in found if p is not None and p.label is not None)
    return {
        "photo": name, "views": len(views), "found": sum(p is not None for p in found),
        "split": sum(len(p) > 1 for p in read),  # read as a photo of two soles
        "side_right": sum(p is not None and p.side == s for p, (_, s, _) in zip(found, views)),
        "orientation_right": sum(p is not None and p.orientation == o for p, (_, _, o) in zip(found, views)),
        "labelled": sum(labels.values()), "labels": dict(labels.most_common()),
        "agreement": labels.most_common(1)[0][1] / sum(labels.values()) if labels else None,
    }


def summarise(results: Iterable[dict]) -> dict:
    """Totals over photos: views, found, side and toe direction right, labelled views, and class agreement.

    `agreement` is the mean over photos with a class in any view; `one_class` counts
    the photos with one class in all views, of the `all_labelled` photos with a class in every view.
    """
    results = list(results)
    total = {k: sum(r[k] for r in results) for k in ("views", "found", "split", "side_right", "orientation_right", "labelled")}
    agreements = [r["agreement"] for r in results if r["agreement"] is not None]
    full = [r for r in results if r["labelled"] == r["views"]]
    return dict(total, photos=len(results), agreement=float(np.mean(agreements)) if agreements else None,
                all_labelled=len(full), one_class=sum(r["agreement"] == 1.0 for r in full))
