"""The command line behaves as users of timm, torchvision and Ultralytics scripts expect: version, defaults in
--help, the bundled model by default, exit statuses, boxes in the photo's own pixels, run folders never
overwritten, clear words for a file that is not a checkpoint, a hint for a mistyped setting, quiet logs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from inference.model_store import bundled_checkpoint

REPO = Path(__file__).resolve().parents[1]
needs_model = pytest.mark.skipif(bundled_checkpoint() is None, reason="no bundled model installed")


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def test_version_and_defaults_in_help():
    from inference import __version__

    assert run("--version").stdout.strip() == f"solewear {__version__}"
    generate = run("generate", "--help").stdout
    assert "processes to render with (default: 1)" in " ".join(generate.split())          # a shown default
    predict = " ".join(run("predict", "--help").stdout.split())
    assert "(default: auto)" in predict and "(default: 16)" in predict
    assert "(default: None)" not in predict and "(default: False)" not in predict      # no empty defaults


def test_an_unknown_setting_names_the_closest_one():
    out = run("train", "--config", "configs/smoke.yaml", "--set", "optim.epoch=3")
    assert out.returncode == 2 and "did you mean 'optim.epochs'" in out.stderr and "Traceback" not in out.stderr
    deep = run("train", "--config", "configs/smoke.yaml", "--set", "augmnt.scene_p=0.2")
    assert deep.returncode == 2 and "did you mean 'augment'" in deep.stderr


def test_changing_the_epochs_alone_is_enough():
    from training.config import load_config

    cfg = load_config(str(REPO / "configs" / "default.yaml"), ["optim.epochs=6"])
    assert cfg.first_validated_epoch == 4 and load_config(str(REPO / "configs" / "default.yaml")).first_validated_epoch == 8


@pytest.mark.parametrize("name, says", [("model.pt", "pickle"), ("model.onnx", "ONNX export"),
                                        ("missing.safetensors", "no checkpoint at")])
def test_a_file_that_is_not_a_solewear_checkpoint_is_named_with_what_is_expected(tmp_path, name, says):
    path = tmp_path / name
    if name != "missing.safetensors":
        path.write_bytes(b"not a checkpoint")
    for command in (["predict", str(REPO / "data" / "samples" / "01-left.jpg")], ["evaluate", "--manifest", str(REPO / "data" / "samples")],
                    ["export", "--format", "onnx", "--out", str(tmp_path / "m.onnx")]):
        out = run(*command, "--checkpoint", str(path))
        assert out.returncode == 2, (command, out.stderr)
        assert str(path) in out.stderr and says in out.stderr and ".safetensors" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr


@needs_model
def test_predict_exits_1_when_any_photo_failed_and_still_prints_every_line(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a photo")
    good = REPO / "data" / "samples" / "01-left.jpg"
    out = run("predict", str(good), str(broken), "--json")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1 and [Path(r["path"]).name for r in lines] == ["01-left.jpg", "broken.jpg"]
    assert run("predict", str(good), "--json").returncode == 0
    assert run("predict", str(good), "--side", "middle").returncode == 2


@needs_model
def test_boxes_are_in_the_pixels_of_the_photo_as_stored_and_a_refused_photo_has_none(tmp_path):
    """A 12-MP phone photo held sideways (EXIF orientation 6): the box is in the upright photo's pixels."""
    from inference.predictor import Predictor

    sample = Image.open(REPO / "data" / "samples" / "01-left.jpg").convert("RGB")
    big = sample.resize((sample.width * 8, sample.height * 8))                  # upright: 2304 x 3456
    stored = big.transpose(Image.Transpose.ROTATE_90)                            # as the sensor stored it
    exif = Image.Exif()
    exif[0x0112] = 6                                                            # "turn 90 degrees clockwise to view"
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", exif=exif.tobytes())
    predictor = Predictor()
    small = predictor.predict(REPO / "data" / "samples" / "01-left.jpg")[0]
    large = predictor.predict(buf.getvalue())[0]
    assert large.image_size == [big.width, big.height]
    assert large.box == pytest.approx([v * 8 for v in small.box], rel=0.05, abs=40)
    wall = io.BytesIO()
    Image.new("RGB", (600, 400), (170, 170, 170)).save(wall, format="JPEG")
    refused = predictor.predict(wall.getvalue())[0]
    assert "no_sole_found" in refused.flags and refused.box is None and refused.orientation is None


@needs_model
def test_evaluate_and_export_use_the_bundled_model_and_evaluate_warns_about_its_training_data(tmp_path):
    samples = REPO / "data" / "samples"
    out = run("evaluate", "--manifest", str(samples), "--out", str(tmp_path / "eval"), "--quiet")
    assert out.returncode == 0 and (tmp_path / "eval" / "report.json").is_file(), out.stderr
    assert "warning" not in out.stderr
    exported = run("export", "--format", "onnx", "--out", str(tmp_path / "model.onnx"))
    assert exported.returncode == 0 and (tmp_path / "model.onnx").is_file()

    from training.evaluate import training_overlap

    meta = json.loads(bundled_checkpoint().with_suffix(".json").read_text())
    trained_on = Path(meta["config"]["data"]["sources"][0]["path"])
    assert training_overlap(bundled_checkpoint(), REPO / trained_on)                  # the folder it names
    assert not training_overlap(bundled_checkpoint(), samples)


def test_a_new_run_never_writes_into_an_earlier_one(tmp_path):
    from training.cli import _fresh_run_dir

    run_dir = tmp_path / "runs" / "mine"
    assert _fresh_run_dir(run_dir) == run_dir                      # new: used as it is
    run_dir.mkdir(parents=True)
    assert _fresh_run_dir(run_dir) == run_dir                      # empty: used as it is
    (run_dir / "metrics.csv").write_text("epoch\n")
    assert _fresh_run_dir(run_dir) == tmp_path / "runs" / "mine-2"
    (tmp_path / "runs" / "mine-2").mkdir()
    (tmp_path / "runs" / "mine-2" / "best.json").write_text("{}")
    assert _fresh_run_dir(run_dir) == tmp_path / "runs" / "mine-3"


def test_progress_bars_stay_out_of_logs(tmp_path):
    """Output to a file (not a terminal): no redrawn bar lines."""
    out = run("generate", str(tmp_path / "set"), "--n", "3", "--seed", "4")
    assert out.returncode == 0 and "generating" not in out.stderr and "\r" not in out.stderr


@needs_model
def test_a_given_side_the_photo_contradicts_is_warned_about(repo_root=REPO):
    """Sample 01 is a left shoe: called right, the CLI and the result say the photo looks like a left shoe."""
    out = run("predict", str(repo_root / "data" / "samples" / "01-left.jpg"), "--side", "right")
    assert out.returncode == 0 and "looks like a left shoe, not the right one given" in out.stdout, out.stdout
    agreed = run("predict", str(repo_root / "data" / "samples" / "01-left.jpg"), "--side", "left")
    assert "warning" not in agreed.stdout
