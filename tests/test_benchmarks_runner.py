"""The benchmark convention: a table on stdout and a JSON file with machine info."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_generate_benchmark_writes_table_and_json(tmp_path, repo):
    env = dict(os.environ, SOLEWEAR_BENCH_RESULTS=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "benchmarks", "generate", "--n", "8", "--workers", "1"],
                         capture_output=True, text=True, cwd=repo, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "images_per_s" in out.stdout
    payload = json.loads((tmp_path / "generate.json").read_text())
    assert payload["machine"]["cores"] >= 1 and payload["machine"]["torch"]
    row = payload["rows"][0]
    assert row["images"] == 8 and row["images_per_s"] > 0
    # Speed is stated against a ResNet-18 forward of the same run, and make model's photos in those units.
    assert row["resnet18_ms"] > 0
    per_photo = row["seconds"] * 1000 / 8 / row["resnet18_ms"]
    assert row["photo_in_resnet18_forwards"] == pytest.approx(per_photo, rel=0.02, abs=0.01)
    assert row["make_model_data_in_resnet18_forwards"] == pytest.approx(10_000 * per_photo, rel=0.02)


def test_the_speed_page_is_made_from_the_latest_results(tmp_path, repo):
    from benchmarks.__main__ import report

    (tmp_path / "predict.json").write_text(json.dumps({
        "benchmark": "predict", "args": [], "measured_at": "2026-12-04T06:00:00+0000", "machine": {"cores": 2, "torch": "x"},
        "rows": [{"what": "torchvision ResNet-18 forward", "ms": 30.0}, {"what": "predict", "ms": 150.0, "ratio_to_resnet18": 5.0}]}))
    page = report(tmp_path, tmp_path / "speed.md").read_text()
    assert "2026-12-04T06:00:00" in page and "| predict | 150.0 | 5.0 |" in page
