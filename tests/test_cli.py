"""The `solewear` console script: sub-commands, help and usage errors."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training.cli", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_generate():
    out = run("--help")
    assert out.returncode == 0
    assert "generate" in out.stdout


def test_generate_without_target_is_a_usage_error():
    out = run("generate")
    assert out.returncode == 2
    assert "OUT_DIR" in out.stderr and "Traceback" not in out.stderr


def test_bad_size_and_unknown_class_are_usage_errors(tmp_path):
    bad_size = run("generate", str(tmp_path), "--n", "2", "--size", "big")
    assert bad_size.returncode == 2 and "384x576" in bad_size.stderr
    bad_class = run("generate", str(tmp_path), "--n", "2", "--classes", "flat_feet", "--quiet")
    assert bad_class.returncode == 2 and "flat_feet" in bad_class.stderr and "Traceback" not in bad_class.stderr


def test_console_script_is_installed():
    import shutil
    from pathlib import Path

    exe = Path(sys.executable).parent / "solewear"
    assert exe.exists() or shutil.which("solewear"), "pip install -e . must create the solewear script"
