"""Degraded copies of a test set: how much does each photo problem cost?

Each corruption takes a decoded photo (and its sole box) and returns a worse
one, deterministically per image. `robustness_table` evaluates every
corruption with the same checkpoint and compares it with the clean set.
`worn_look_table` asks a different question: the same generated shoes and
photos rendered again with their rubbed rubber in another worn look - how much
does the model lean on the one way our renderer colours wear?
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from inference.preprocess import Box
from training.data import DataError, Record
from training.generator.dataset import spec_of_row, write_specs
from training.generator.sample import render_sample
from training.generator.settings import WORN_LOOKS

Corruption = Callable[[np.ndarray, Box | None, Record, int], tuple[np.ndarray, Box | None]]


def _jpeg30(img, box, rec, i):
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 30])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), box


def _blur(img, box, rec, i):
    return cv2.GaussianBlur(img, (0, 0), 2.0), box


def _colour_cast(img, box, rec, i):
    casts = np.array([[1.25, 1.0, 0.7], [0.75, 1.0, 1.3], [0.85, 1.2, 0.85]], np.float32)
    return np.clip(img * casts[i % 3], 0, 255).astype(np.uint8), box


def _low_light(img, box, rec, i):
    rng = np.random.default_rng(i)
    dark = img.astype(np.float32) * 0.3 + rng.normal(0, 4, img.shape)
    return np.clip(dark, 0, 255).astype(np.uint8), box


def _tilt25(img, box, rec, i):
    h, w = img.shape[:2]
    k = np.tan(np.deg2rad(25)) * 0.35  # a 25-degree camera tilt foreshortens one side of the frame
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    sides = [np.float32([[w * k / 2, 0], [w - w * k / 2, 0], [w, h], [0, h]]),
             np.float32([[0, h * k / 2], [w, 0], [w, h], [0, h - h * k / 2]])]
    m = cv2.getPerspectiveTransform(src, sides[i % 2])
    out = cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if box is None:
        return out, None
    x0, y0, x1, y1 = box
    pts = cv2.perspectiveTransform(np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]), m)[0]
    return out, (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))


def _half_resolution(img, box, rec, i):
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return small, None if box is None else tuple(v / 2 for v in box)


def _toe_cut(img, box, rec, i):
    """Cut the photo so the front 15% of the sole is out of frame."""
    if box is None:
        return img, box
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    length = (y1 - y0) if rec.orientation % 2 == 0 else (x1 - x0)
    cut = int(0.15 * length)
    toe = rec.orientation % 4  # which edge of the box the toe touches: up, right, down, left
    if toe == 0:
        return img[y0 + cut:], (box[0], 0, box[2], box[3] - y0 - cut)
    if toe == 2:
        return img[: y1 - cut], (box[0], box[1], box[2], y1 - cut)
    if toe == 1:
        return img[:, : x1 - cut], (box[0], box[1], x1 - cut, box[3])
    return img[:, x0 + cut:], (0, box[1], box[2] - x0 - cut, box[3])


CORRUPTIONS: dict[str, Corruption] = {
    "JPEG quality 30": _jpeg30, "blur (sigma 2 px)": _blur, "strong colour cast": _colour_cast,
    "low light (30%, noise)": _low_light, "25-degree perspective tilt": _tilt25,
    "half resolution": _half_resolution, "toe cut off (15% of the sole)": _toe_cut,
}


def robustness_table(checkpoint: Path, data: Path, clean: dict, progress: bool = False) -> list[dict]:
    """`clean` is the clean set's evaluate report, which the caller (the model card) has already."""
    from training.evaluate import evaluate

    rows = [{"condition": "clean", "macro_f1": clean["macro_f1"], "drop_points": 0.0}]
    for name, fn in CORRUPTIONS.items():
        r = evaluate(checkpoint, data, progress=progress, transform=fn, pose_check=False)  # macro-F1 only
        rows.append({"condition": name, "macro_f1": r["macro_f1"], "drop_points": round(100 * (clean["macro_f1"] - r["macro_f1"]), 1)})
    return rows


def worn_look_table(checkpoint: Path, data: Path, n: int = 300, workers: int = 2) -> list[dict]:
    """The first `n` generated photos of a test set rendered again in every worn look, each evaluated.

    Same shoe, wear, photo and camera; only which way the rubbed rubber changes
    colour differs. Rendered into temporary folders that are removed afterwards.
    Photos without generator seeds (real ones) are skipped; a set of none gives
    an empty table. A set made by another version of the generator would
    render to other photos, so it is refused rather than compared.
    """
    from training.evaluate import evaluate

    with open(Path(data) / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("shoe_seed") and r.get("seed")][:n]
    if not rows:
        return []
    specs = []
    for row in rows:
        with Image.open(Path(data) / row["path"]) as photo:
            specs.append(spec_of_row(row, photo.size))
    if render_sample(specs[0]).photo.jpeg != (Path(data) / rows[0]["path"]).read_bytes():
        raise DataError(f"{data}: its photos were made by another version of the generator, so they cannot be "
                        "rendered again in other worn looks; generate the test set again")
    table = []
    for look in WORN_LOOKS:
        with tempfile.TemporaryDirectory(prefix=f"solewear-{look}-") as folder:
            write_specs(Path(folder), [replace(spec, worn_look=look) for spec in specs], workers=workers, progress=False)
            report = evaluate(checkpoint, Path(folder), Path(folder) / "report", progress=False, pose_check=False)
        table.append({"look": look, "photos": report["n_images"], "macro_f1": report["macro_f1"],
                      "by_severity": [{k: band[k] for k in ("words", "from", "below", "images", "accuracy")}
                                      for band in report.get("by_severity", [])]})
    return table
