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
