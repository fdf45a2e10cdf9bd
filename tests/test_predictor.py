"""The Predictor and `solewear predict` / `solewear export`, on a tiny trained model.

These tests check behaviour any model must have (one answer per file, clear
errors, threads, ONNX parity, pictures that line up with the photo). How
*good* the bundled model is, is tested in test_bundled_model.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inference.export import CACHE_DIR
from inference.predictor import Predictor
from inference.taxonomy import load_taxonomy
from tests.conftest import REPO, train_smoke

TAX = load_taxonomy()
SAMPLES = REPO / "data" / "samples"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return train_smoke(tmp_path_factory.mktemp("smoke-predict"), "optim.epochs=1")


@pytest.fixture(scope="module")
def predictor(checkpoint) -> Predictor:
    return Predictor(checkpoint)


def solewear(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training.cli", *args], capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory) -> Path:
    """Generated soles of both sides and all rotations, one photo with no sole, one corrupt file."""
    folder = tmp_path_factory.mktemp("mixed")
    for i, path in enumerate(sorted(SAMPLES.glob("*.jpg"))[:4]):
        Image.open(path).rotate(90 * i, expand=True).save(folder / f"sole-{i}.jpg")
    from sklearn.datasets import load_sample_image

    Image.fromarray(load_sample_image("china.jpg")).save(folder / "landscape.jpg")
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    return folder


def test_predict_prints_one_json_line_per_file(checkpoint, mixed_folder, tmp_path):
    out = solewear("predict", str(mixed_folder), "--checkpoint", str(checkpoint), "--json", "--save-visuals", str(tmp_path / "vis"))
    assert out.returncode == 1, out.stderr[-2000:]          # the corrupt file got its error line; every file its line
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    # one line per file, or two (left and right half) where a tiny test model thinks a photo holds both soles
    names = [Path(r["path"]).name for r in lines if not r.get("part")]
    halves = [Path(r["path"]).name for r in lines if r.get("part")]
    assert sorted(names + sorted(set(halves))) == sorted(p.name for p in mixed_folder.iterdir())
    assert all(halves.count(name) == 2 for name in halves)
    keys = {"path", "label", "confidence", "probabilities", "side", "side_source", "zones", "severity", "flags", "error"}
    for r in lines:
        assert keys <= set(r)
        if Path(r["path"]).name == "corrupt.jpg":
            assert r["label"] is None and "picture" in r["error"]
        elif r["label"] is not None:
            assert r["label"] in TAX.class_ids and set(r["zones"]) == set(TAX.zone_ids)
            assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
            assert r["side"] in TAX.sides and r["side_source"] == "detected"
            assert all(f in TAX.quality_flags for f in r["flags"])
    pngs = sorted(p.name for p in (tmp_path / "vis").iterdir())
    assert "sole-0-heatmap.png" in pngs and "sole-0-zones.png" in pngs


def test_given_side_is_used_and_reported(predictor):
    preds = predictor.predict(SAMPLES / "02-right.jpg", side="right")
    assert len(preds) == 1 and preds[0].part is None  # a given side means one shoe: never split as a pair
    assert preds[0].side == "right" and preds[0].side_source == "given"


def test_usage_errors_exit_2():
    assert solewear("predict").returncode == 2
    assert solewear("predict", "x.jpg", "--side", "middle").returncode == 2


def test_predictor_is_safe_to_share_between_threads(predictor):
    photos = sorted(SAMPLES.glob("*.jpg"))[:4]
    expected = [predictor.predict(p)[0].probabilities for p in photos]
    got: dict[int, dict] = {}

    def work(i: int) -> None:
        got[i] = predictor.predict(photos[i % 4], explain=(i % 2 == 0))[0].probabilities

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, probs in got.items():
        assert probs == pytest.approx(expected[i % 4], abs=1e-5)


def test_bytes_and_batches_give_the_same_answer_as_files(predictor):
    path = SAMPLES / "03-left.jpg"
    a = predictor.predict(path)[0]
    b = predictor.predict(path.read_bytes(), name="upload.jpg")[0]
    c = predictor.predict_batch([path, SAMPLES / "05-left.jpg"])[0][0]
    assert a.probabilities == b.probabilities
    assert c.probabilities == pytest.approx(a.probabilities, abs=1e-3)  # batched kernels round differently
    assert b.path == "upload.jpg"


def test_heatmap_and_zone_diagram_line_up_with_the_photo(predictor):
    pred = predictor.predict(SAMPLES / "07-left.jpg", explain=True)[0]
    photo = Image.open(SAMPLES / "07-left.jpg")
    assert pred.heatmap.size == photo.size
    assert pred.diagram.size[1] > pred.diagram.size[0]
    diff = np.abs(np.asarray(pred.heatmap, np.int16) - np.asarray(photo.convert("RGB"), np.int16)).sum(2)
    x0, y0, x1, y1 = pred.box
    m = 0.3 * max(x1 - x0, y1 - y0)
    outside = np.ones(diff.shape, bool)
    outside[max(0, int(y0 - m)): int(y1 + m), max(0, int(x0 - m)): int(x1 + m)] = False
    assert diff[~outside].mean() > diff[outside].mean()  # the heat lies on the sole, not the background


def test_onnx_backend_matches_pytorch(checkpoint, tmp_path):
    torch_pred = Predictor(checkpoint, backend="torch")
    onnx_pred = Predictor(checkpoint, backend="onnx")
    for path in sorted(SAMPLES.glob("*.jpg"))[:3]:
        a, b = torch_pred.predict(path)[0], onnx_pred.predict(path)[0]
        for c in TAX.class_ids:
            assert abs(a.probabilities[c] - b.probabilities[c]) <= 1e-4
    out = solewear("export", "--checkpoint", str(checkpoint), "--format", "onnx", "--out", str(tmp_path / "m.onnx"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "m.onnx").stat().st_size > 1e6 and (tmp_path / "m.json").is_file()


def test_same_weights_at_another_input_size_get_their_own_onnx_export(checkpoint, tmp_path):
    """The ONNX graph's height and width are fixed: a cached export must not serve another input size."""
    meta = json.loads(checkpoint.with_suffix(".json").read_text())
    size = int(meta["preprocess"]["input_size"])
    (tmp_path / "other.safetensors").write_bytes(checkpoint.read_bytes())
    meta["preprocess"]["input_size"] = size + 32
    (tmp_path / "other.json").write_text(json.dumps(meta))
    path = SAMPLES / "01-left.jpg"
    Predictor(checkpoint, backend="onnx").predict(path)  # the export for the trained size is cached first
    Predictor(tmp_path / "other.safetensors", backend="onnx").predict(path)  # onnxruntime refused 224 px here
    assert list(CACHE_DIR.glob(f"*-{size}px-*.onnx")) and list(CACHE_DIR.glob(f"*-{size + 32}px-*.onnx"))


class _HalfReader:
    """A stand-in network, sure of every pose head, whose class says which halves of its input are brighter.

    Class 0: top and left; 1: top and right; 2: bottom and left; 3: bottom and right. Sole and box: the whole view.
    """

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h, w = x.shape[-2] // 2, x.shape[-1] // 2
        bottom = x[..., h:, :].mean((1, 2, 3)) > x[..., :h, :].mean((1, 2, 3)) + 0.05  # clearly brighter, not by rounding
        right = x[..., :, w:].mean((1, 2, 3)) > x[..., :, :w].mean((1, 2, 3)) + 0.05
        n, sure = len(x), torch.tensor([20.0, -20.0])
        return {"wear_class": torch.nn.functional.one_hot(2 * bottom.long() + right.long(), len(TAX.class_ids)).float() * 20,
                "zones": torch.zeros(n, len(TAX.zone_ids) + 1), "side": sure.repeat(n, 1),
                "orientation": torch.tensor([20.0, -20.0, -20.0, -20.0]).repeat(n, 1),
                "sole": torch.full((n, 1), 20.0), "box": torch.tensor([0.0, 0.0, 20.0, 20.0]).repeat(n, 1)}


def test_pose_agreement_reads_each_photo_in_each_view_and_mirrors_a_given_side():
    from inference.pipeline import ReadingPipeline
    from inference.preprocess import Preprocessor
    from inference.settings import load_inference_settings

    pre = Preprocessor(32, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), 0.08, True)
    top_left = np.full((60, 40, 3), 60, np.uint8)
    top_left[:30] += 80
    top_left[:, :20] += 40
    plain = np.full((60, 40, 3), 100, np.uint8)
    model = _HalfReader()
    base = load_inference_settings()

    def pipeline(views=()):
        return ReadingPipeline(model, pre, base.model_copy(update={"quality": base.quality.model_copy(
            update={"pose_check_views": views})}), TAX)

    assert pipeline().two_pass([top_left]).logits.argmax(1).tolist() == [0]

    def agree(images, views, sides=None):
        reader = pipeline(views)
        return reader.pose_agrees(images, reader.two_pass(images, sides).logits.argmax(1), sides).tolist()

    turned_round = ((2, False),)   # this reader does not turn the photo back: its class changes
    assert agree([top_left, plain], turned_round) == [False, True] and agree([plain, top_left], turned_round) == [True, False]
    mirrored = ((0, True),)        # a given left side becomes right, and the crop is mirrored back
    assert agree([top_left], mirrored, ["left"]) == [True]
    assert agree([top_left], mirrored) == [False]  # detected as left (this reader's side head), so not mirrored back
    assert agree([top_left, plain], mirrored + turned_round, ["left", "left"]) == [False, True]  # views and photos kept apart
    assert agree([top_left, plain], ()) == [True, True]
    reader = pipeline(turned_round)
    labels = reader.two_pass([top_left, plain]).logits.argmax(1)   # a photo left out is not read: it agrees
    assert reader.pose_agrees([top_left, plain], labels, where=np.array([False, True])).tolist() == [True, True]


def _scene(boxes, probs):
    from inference.forward import Scene

    n = len(boxes)
    return Scene(np.array(probs), list(boxes), np.zeros(n, int), np.ones(n), ["left"] * n, np.ones(n))


def test_pair_split_follows_what_pass_one_sees(predictor, monkeypatch):
    """Split when each half holds one whole elongated sole; not for one sole, half soles or empty halves."""
    from inference import pipeline as module

    landscape = np.zeros((400, 600, 3), np.uint8)
    seen_by_case = {"good": _scene([(40, 40, 200, 380), (60, 30, 220, 390)], [0.95, 0.9]),
              "cut": _scene([(40, 40, 299, 380), (0, 30, 220, 390)], [0.95, 0.9]),       # one sole cut in two
              "empty": _scene([(40, 40, 200, 380), (0, 0, 300, 400)], [0.95, 0.2])}
    for case, expected in (("good", ["left", "right"]), ("cut", None), ("empty", None)):
        monkeypatch.setattr(module, "read_scene", lambda *a, _s=seen_by_case[case], **k: _s)
        split = predictor.pipeline._split_pair(landscape, _scene([(50, 30, 550, 390)], [0.97]), 0)
        assert (None if split is None else [part for part, _, _ in split[0]]) == expected, case
        if split:
            halves, seen = split
            assert halves[0][1].shape[1] + halves[1][1].shape[1] == 600  # nothing lost at the cut
            assert halves[0][2] == (0, 0) and halves[1][2] == (halves[0][1].shape[1], 0)   # where each half sits
            assert seen is seen_by_case[case]  # pass 1 of the halves is handed on, not read again
    portrait = np.zeros((600, 400, 3), np.uint8)   # pass 1 boxed a stretch (toe up) across what may be a pair
    halves_hold = {"pair": _scene([(20, 20, 170, 580), (30, 20, 180, 580)], [0.95, 0.95]),
                   "one sole": _scene([(40, 20, 200, 580), (0, 20, 160, 580)], [0.95, 0.95])}  # each half reaches the cut
    for case, expected in (("pair", ["left", "right"]), ("one sole", None)):
        cuts = []
        monkeypatch.setattr(module, "read_scene", lambda model, pre, images, *a, _s=halves_hold[case], **k:
                            cuts.append(images[0].shape[1]) or _s)
        split = predictor.pipeline._split_pair(portrait, _scene([(60, 20, 340, 580)], [0.97]), 0)   # width/height 0.5
        assert (None if split is None else [part for part, _, _ in split[0]]) == expected, case
        assert cuts[0] == 200, case   # down the middle, along the sole's length: never across an upright sole
    # A slim upright box is one sole as phones photograph it: not cut, and the halves are never read.
    cuts.clear()
    assert predictor.pipeline._split_pair(portrait, _scene([(120, 20, 280, 580)], [0.97]), 0) is None
    assert cuts == []


def test_pose_seen_on_the_crop_composes_with_the_first_guess():
    """Whatever pass 1 guessed, adding the pose a crop is labelled with in training gives the photo's true pose."""
    from inference.preprocess import apply_pose, canonicalise, compose_pose

    canonical = np.arange(16).reshape(4, 4)
    poses = [(k, s) for k in range(4) for s in TAX.sides]
    for true in poses:
        photo = apply_pose(canonical, *true)
        for guess in poses:
            crop = canonicalise(photo, *guess)
            # training shows apply_pose(canonical, j, s2) labelled orientation j, side s2 (augment.pose_view)
            label = next(p for p in poses if np.array_equal(apply_pose(canonical, *p), crop))
            # read_wear's correction: the crop's pose put through apply_pose(guess)
            assert compose_pose(label[0], label[1] == "right", guess[0], guess[1] == "right") == (true[0], true[1] == "right")


def test_symmetric_pose_reads_one_answer_whichever_way_the_crop_arrives(predictor):
    """Averaged over its eight symmetric views, a crop's toe direction turns exactly with the crop, and its side
    flips exactly when the crop is mirrored.

    (A single view need not: near a diagonal the head's leanings towards some
    directions decide, which is what the average removes.) Whether the average
    is *right* depends on the model: test_bundled_model.py checks that.
    """
    from inference.forward import SYMMETRIC_VIEWS, symmetric_pose
    from inference.preprocess import apply_pose, compose_pose

    photo = np.asarray(Image.open(SAMPLES / "01-left.jpg").convert("RGB"))
    crop = predictor.pre.canonical_crop(photo, None, 0, "left")
    model = predictor.torch_model
    views = [apply_pose(crop, turns, "right" if mirror else "left") for turns, mirror in SYMMETRIC_VIEWS]
    orient, side = symmetric_pose(model, predictor.pre, [crop, *views])
    assert np.allclose(orient.sum(1), 1, atol=1e-5) and np.allclose(side.sum(1), 1, atol=1e-5)
    for (turns, mirror), seen, seen_side in zip(SYMMETRIC_VIEWS, orient[1:], side[1:]):
        moved = [compose_pose(q, False, turns, mirror)[0] for q in range(4)]
        assert np.allclose(seen[moved], orient[0], atol=1e-4)
        assert np.allclose(seen_side[::-1] if mirror else seen_side, side[0], atol=1e-4)


def test_a_stretched_crop_gives_the_sole_its_width_and_the_heatmap_finds_its_way_back():
    """With `stretch`, a long, narrow sole fills the crop across its width, and a heat spot on
    the crop lands back on the very photo pixel it came from, in every pose."""
    from inference.explain import heatmap_to_photo
    from inference.preprocess import Preprocessor

    photo = np.zeros((400, 300, 3), np.uint8)
    box = (100.0, 50.0, 160.0, 350.0)  # 60 x 300 px: five times as long as wide
    photo[50:350, 100:160] = 255
    photo[290:300, 140:150] = (255, 0, 0)  # a red mark on the sole (x 145, y 295)
    square = Preprocessor(96, (0.5,) * 3, (0.5,) * 3, 0.08)
    stretched = Preprocessor(96, (0.5,) * 3, (0.5,) * 3, 0.08, stretch=True)

    def width_share(pre):
        return (pre.crop(photo, box)[48, :, 1] > 128).mean()
    pad = 0.08 * 300
    assert width_share(stretched) == pytest.approx(60 / (60 + 2 * pad), abs=0.03)
    assert width_share(stretched) > 2.5 * width_share(square)
    assert stretched.crop(photo, None).shape == square.crop(photo, None).shape  # the scene view stays letterboxed
    assert Preprocessor.from_meta({"preprocess": stretched.to_meta()}) == stretched
    assert not Preprocessor.from_meta({"preprocess": {k: v for k, v in stretched.to_meta().items() if k != "stretch"}}).stretch

    for pre in (square, stretched):
        for k in range(4):
            for side in ("left", "right"):
                crop = pre.canonical_crop(photo, box, k, side)
                red = (crop[..., 0] > 150) & (crop[..., 1] < 100)
                ys, xs = np.nonzero(red)
                heat = np.zeros((96, 96), np.float32)
                heat[int(ys.mean()), int(xs.mean())] = 1
                back = heatmap_to_photo(heat, photo.shape[:2], box, pre, k, side)
                y, x = np.unravel_index(back.argmax(), back.shape)
                assert abs(x - 145) <= 4 and abs(y - 295) <= 4, (pre.stretch, k, side, x, y)
                assert back[:, :int(box[0] - pad) - 2].max() == 0  # nothing beyond the crop


def test_the_heatmap_from_the_served_model_is_what_grad_cam_gives_on_the_evidence_layer(predictor):
    """The served model (onnxruntime here) exports the class evidence; no backward pass draws the heatmap,
    and it matches pytorch-grad-cam on that layer of the PyTorch model."""
    from inference.decode import load_rgb
    from inference.explain import evidence_heatmap, gradcam

    assert predictor.backend == "onnx"
    images = [load_rgb(p) for p in sorted(SAMPLES.glob("*.jpg"))[:4]]
    fwd = predictor.pipeline.two_pass(images)
    assert fwd.evidence is not None and fwd.evidence.shape[:2] == (4, len(TAX.class_ids))
    with torch.no_grad():
        eager = predictor.torch_model(fwd.tensors)["class_evidence"].numpy()
    assert np.abs(eager - fwd.evidence).max() < 1e-3                      # onnxruntime hands out the same map
    for k in range(len(images)):
        for c in range(len(TAX.class_ids)):
            cam = gradcam(predictor.torch_model, fwd.tensors[k], c)
            drawn = evidence_heatmap(eager[k][c], predictor.pre.input_size)
            assert drawn.shape == cam.shape and np.abs(drawn - cam).max() < 1e-3, (k, c, np.abs(drawn - cam).max())
        top = int(fwd.probabilities[k].argmax())
        served = evidence_heatmap(fwd.evidence[k][top], predictor.pre.input_size)
        assert np.abs(served - gradcam(predictor.torch_model, fwd.tensors[k], top)).max() < 0.01
