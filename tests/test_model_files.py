"""Model files are files strangers can hand over: only safetensors are read, nothing is unpickled,
a checkpoint that disagrees with itself or with this version is refused naming the mismatch, and
an ONNX export found in the cache is used only if it computes what the checkpoint's weights do."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

import inference.export as export
from inference.checkpoint import CheckpointError, load_checkpoint, weights_digest
from inference.predictor import Predictor
from inference.taxonomy import load_taxonomy
from tests.conftest import REPO, small_checkpoint

TAX = load_taxonomy()
PHOTO = REPO / "data" / "samples" / "01-left.jpg"


class _Booby:
    """Unpickling this writes a marker file: what a hostile checkpoint would do with a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "unpickled"))


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".ckpt"])
def test_a_pickle_checkpoint_is_refused_unopened_with_the_reason(tmp_path, suffix):
    marker = tmp_path / "pwned"
    bad = tmp_path / f"model{suffix}"
    bad.write_bytes(pickle.dumps({"state_dict": _Booby(marker)}))
    with pytest.raises(CheckpointError, match="safetensors checkpoints only.*run any code"):
        Predictor(bad)
    out = subprocess.run([sys.executable, "-m", "training.cli", "predict", str(PHOTO), "--checkpoint", str(bad)],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 2 and "safetensors checkpoints only" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()


def test_a_pickle_renamed_to_safetensors_is_not_unpickled_either(tmp_path):
    marker = tmp_path / "pwned"
    good = small_checkpoint(tmp_path / "model.safetensors")
    good.write_bytes(pickle.dumps(_Booby(marker)))                      # the metadata beside it is genuine
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        Predictor(good)
    assert not marker.exists()


@pytest.mark.parametrize("change, named", [
    ({"classes": [c for c in TAX.class_ids if c != "supination"]}, "its classes are"),
    ({"zones": list(reversed(TAX.zone_ids))}, "its zones are"),
    ({"orientations": ["toe_up", "toe_down", "toe_left", "toe_right"]}, "its toe directions are"),
])
def test_a_checkpoint_with_other_names_than_this_version_is_refused_naming_them(tmp_path, change, named):
    ckpt = small_checkpoint(tmp_path / "m.safetensors", **change)
    with pytest.raises(CheckpointError, match=named):
        Predictor(ckpt)
    load_checkpoint(ckpt)                       # without a taxonomy to answer to (a fine-tune's start) it loads


def test_weights_that_do_not_fit_their_metadata_are_refused_naming_the_tensors(tmp_path):
    ckpt = small_checkpoint(tmp_path / "m.safetensors")
    meta_path = ckpt.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["model"]["evidence_dim"] = 32                                  # the weights were saved with 16
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"of the wrong shape \(.*\(16, .*instead of \(32, "):
        Predictor(ckpt)
    meta["model"]["evidence_dim"] = 16
    meta_path.write_text(json.dumps(meta))
    state = load_file(str(ckpt))
    dropped = sorted(state)[0]
    save_file({k: v for k, v in state.items() if k != dropped}, str(ckpt), metadata={"format": meta["format"]})
    with pytest.raises(CheckpointError, match=f"1 tensors missing \\({dropped}\\)"):
        Predictor(ckpt)


def test_an_onnx_file_in_the_cache_that_does_not_match_its_checkpoint_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CACHE_DIR", tmp_path / "cache")
    mine = small_checkpoint(tmp_path / "mine.safetensors", seed=0)
    other = small_checkpoint(tmp_path / "other.safetensors", seed=1)
    reference = Predictor(mine, backend="torch").predict(PHOTO)[0]
    Predictor(other, backend="onnx")                                    # the other model's export, in the cache
    [other_file] = export.CACHE_DIR.glob("*.onnx")
    planted = export.CACHE_DIR / other_file.name.replace(weights_digest(other), weights_digest(mine))
    for content in (other_file.read_bytes(), b"not an onnx graph"):     # another model's graph, then garbage
        planted.write_bytes(content)
        got = Predictor(mine, backend="onnx").predict(PHOTO)[0]
        assert planted.read_bytes() != content                           # made again from the weights
        assert got.probabilities == pytest.approx(reference.probabilities, abs=1e-4)
