"""The benchmark convention: a table on stdout and a JSON file with machine info."""

from __future__ import annotations

import json
import os
import subprocess
import sys


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
