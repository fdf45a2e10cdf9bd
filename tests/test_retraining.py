"""A researcher's labelled photos come as path,label,side: no sole box, no toe direction.

The photos here are generated so the truth is known, then written the way a
researcher's set arrives: the sole fills a third to a half of the frame and is
turned any quarter, and the manifest says nothing but the file, class and side.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision import ops

from inference.predictor import Predictor
from inference.settings import load_inference_settings
from inference.taxonomy import load_taxonomy
from tests.conftest import REPO
from training.autolabel import autolabel
from training.data import read_manifest
from training.retraining_check import researcher_set

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def boxless(tmp_path_factory) -> tuple[Path, dict, Path, dict]:
    root = tmp_path_factory.mktemp("boxless")
    return (root / "train", researcher_set(root / "train", 60, 31, fill=(0.35, 0.6), size=(288, 384)),
            root / "held_out", researcher_set(root / "held_out", 20, 32, fill=(0.35, 0.6), size=(288, 384)))


def _iou(a, b) -> float:
    """IoU of two (x0, y0, x1, y1) boxes in photo pixels."""
    return float(ops.box_iou(torch.tensor([a], dtype=torch.float64), torch.tensor([b], dtype=torch.float64))[0, 0])


def test_photos_without_boxes_get_the_bundled_models_box_and_toe_direction(boxless):
    folder, truth, _, _ = boxless
    records = read_manifest(folder)
    assert all(r.box is None and not r.orientation_known for r in records)
    labelled, found = autolabel(records, "bundled", load_inference_settings())
    assert len(found) == len(records)
    by_name = {Path(r.path).name: r for r in labelled}
    ious = [_iou(by_name[n].box, t["box"]) for n, t in truth.items() if by_name[n].box is not None]
    toe = [by_name[n].orientation == t["orientation"] for n, t in truth.items() if by_name[n].orientation_known]
    assert len(ious) >= 0.9 * len(truth) and np.mean(np.array(ious) >= 0.6) >= 0.9, ious
    assert len(toe) >= 0.9 * len(truth) and np.mean(toe) >= 0.9
    assert all(r.side == records[k].side and r.label == records[k].label for k, r in enumerate(labelled))


def test_retraining_on_path_label_side_gives_a_model_that_finds_turns_and_reads_new_photos(boxless, tmp_path):
    folder, _, held_out, truth = boxless
    run = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "training.cli", "train", "--config", "configs/default.yaml", "--data", str(folder),
                             "--out", str(run), "--set", "model.init_from=bundled", "--set", "optim.epochs=1",
                             "--set", "optim.validate_from=1", "--set", "optim.batch_size=12", "--set", "optim.lr=0.0003",
                             "--set", "data.workers=0", "--quiet"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "came without a sole box or toe direction" in result.stdout
    with open(run / "autolabels.csv", newline="") as fh:
        report = list(csv.DictReader(fh))
    assert len(report) > 40 and all(row["labelled"] in ("yes", "no") for row in report)

    predictor = Predictor(run / "best.safetensors")
    names = sorted(truth)
    preds = [p[0] for p in predictor.predict_batch([held_out / n for n in names])]
    assert sum(p.box is not None for p in preds) >= 0.9 * len(names)
    ious = [_iou(p.box, truth[n]["box"]) for n, p in zip(names, preds) if p.box is not None]
    assert np.mean(np.array(ious) >= 0.6) >= 0.85, ious
    assert np.mean([TAX.orientations.index(p.orientation) == truth[n]["orientation"] for n, p in zip(names, preds)]) >= 0.85
    read = [max(p.probabilities, key=p.probabilities.get) if p.probabilities else None for p in preds]
    assert np.mean([r == truth[n]["label"] for n, r in zip(names, read)]) >= 0.6
