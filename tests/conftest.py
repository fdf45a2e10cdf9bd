"""Shared test set-up: offline environment and small, fast fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
# ONNX exports made by tests go to a throw-away cache, not the user's.
os.environ.setdefault("SOLEWEAR_CACHE", os.path.join(os.environ.get("TMPDIR", "/tmp"), "solewear-test-cache"))

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def train_smoke(out: Path, *overrides: str) -> Path:
    """A tiny real training run (configs/smoke.yaml); returns the best checkpoint."""
    args = [sys.executable, "-m", "training.cli", "train", "--config", "configs/smoke.yaml", "--out", str(out), "--quiet"]
    for o in overrides:
        args += ["--set", o]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "best.safetensors"


def small_checkpoint(path: Path, seed: int = 0, **meta_changes) -> Path:
    """An untrained 64-px model saved as a real checkpoint in a second: for tests of files and plumbing, not of reading.

    Its metadata is the bundled model's (classes, zones, preprocessing), changed by `meta_changes`.
    """
    import json

    import torch

    from inference.checkpoint import save_checkpoint
    from inference.model import ModelSpec, SoleNet
    from inference.taxonomy import load_taxonomy

    tax = load_taxonomy()
    torch.manual_seed(seed)
    spec = ModelSpec(arch="efficientnet_lite0", n_classes=len(tax.class_ids), n_zones=len(tax.zone_ids),
                     wear_map=False, class_pool="evidence", evidence_dim=16)
    bundled = json.loads((REPO / "inference" / "assets" / "default_model.json").read_text())
    meta = {k: v for k, v in bundled.items() if k not in ("model", "format")}
    meta["preprocess"] = dict(meta["preprocess"], input_size=64)
    return save_checkpoint(path, SoleNet(spec, pretrained=False), dict(meta, **meta_changes))
