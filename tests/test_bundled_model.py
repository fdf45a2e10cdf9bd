"""The bundled default model: shipped, loaded by default, and right where it can be checked.

Accuracy on large generated sets is measured by `python -m training.model_card`
(MODEL_CARD.md); these tests pin behaviour a user would notice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.decode import load_rgb
from inference.forward import read_scene, symmetric_pose
from inference.model_store import bundled_checkpoint
from inference.predictor import Predictor
from inference.taxonomy import load_taxonomy
from tests.conftest import REPO
from training.data import read_dataset, record_box

TAX = load_taxonomy()
SAMPLES = REPO / "data" / "samples"


@pytest.fixture(scope="module")
def real_photos() -> list[Path]:
    """The two worn CSAFE photographs (never in the repository): skipped, with the reason, where they are absent."""
    from training.real_soles import REAL_SOLES

    photos = sorted(REAL_SOLES.glob("*.jpg"))
    if not photos:
        pytest.skip(f"the real CSAFE sole photos are not here ({REAL_SOLES}); set SOLEWEAR_REAL_SOLES to their folder")
    return photos


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    assert bundled_checkpoint() is not None, "the default model must ship inside the inference package"
    return Predictor()


def test_bundled_model_is_small_and_matches_the_taxonomy(predictor):
    assert predictor.checkpoint.stat().st_size < 20 * 2**20
    assert predictor.meta["classes"] == TAX.class_ids and predictor.meta["zones"] == TAX.zone_ids


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def test_sides_and_rotations_of_generated_soles_come_out_right(predictor):
    rows = list(csv.DictReader(open(SAMPLES / "manifest.csv")))
    side_ok = orient_ok = label_ok = n = 0
    for row in rows:
        photo = Image.open(SAMPLES / row["path"])
        base = TAX.orientations.index(row["orientation"])
        for turns in range(4):  # PIL rotates anticlockwise: each turn moves the toe one step anticlockwise
            pred = predictor.predict(_jpeg(photo.rotate(90 * turns, expand=True)), name=row["path"])[0]
            n += 1
            side_ok += pred.side == row["side"]
            orient_ok += pred.orientation == TAX.orientations[(base - turns) % 4]
            label_ok += pred.label == row["label"]
    assert side_ok / n >= 0.9 and orient_ok / n >= 0.9
    assert label_ok / n >= 0.6


def test_the_eight_view_average_reads_every_samples_side_and_toe_direction(predictor):
    """symmetric_pose, which pass 2 falls back on when one view of the crop is unsure, gets both right on each sample."""
    records = read_dataset(SAMPLES)
    crops = [predictor.pre.crop(load_rgb(r.path), record_box(r)) for r in records]
    orient, side = symmetric_pose(predictor.torch_model, predictor.pre, crops)  # the soles as photographed
    assert [TAX.sides[i] for i in side.argmax(1)] == [r.side for r in records]
    assert orient.argmax(1).tolist() == [r.orientation for r in records]


def test_a_wrong_first_look_at_the_pose_is_corrected_on_the_crop(predictor):
    """Pass 1 sees the sole small; when it gets side or orientation wrong, pass 2's look at the crop puts it right."""
    rows = list(csv.DictReader(open(SAMPLES / "manifest.csv")))[:4]
    images = [np.asarray(Image.open(SAMPLES / r["path"]).convert("RGB")) for r in rows]
    scene = read_scene(predictor.model, predictor.pre, images)
    other = {"left": "right", "right": "left"}
    wrong = replace(scene, side=[other[s] for s in scene.side],
                    orientation=np.array([(int(k) + 1 + i % 3) % 4 for i, k in enumerate(scene.orientation)]))
    fwd = predictor.pipeline.wear(images, wrong)
    assert fwd.side == [r["side"] for r in rows] == fwd.scene.side
    assert [TAX.orientations[int(k)] for k in fwd.scene.orientation] == [r["orientation"] for r in rows]
    right = predictor.pipeline.wear(images, scene)  # wear read again on the corrected crops
    assert np.allclose(fwd.probabilities, right.probabilities, atol=1e-4) and np.allclose(fwd.zones, right.zones, atol=1e-4)
    given = predictor.pipeline.wear(images, wrong, sides=[other[r["side"]] for r in rows])
    assert given.side == [other[r["side"]] for r in rows]  # a side the user gave is kept


def test_a_blank_wall_is_refused(predictor):
    rng = np.random.default_rng(3)
    img = Image.fromarray(np.clip(180 + rng.normal(0, 6, (800, 600, 3)), 0, 255).astype(np.uint8))
    pred = predictor.predict(_jpeg(img), name="wall")[0]
    assert "no_sole_found" in pred.flags and pred.label is None and pred.error


def test_sole_free_photos_are_refused(predictor):
    """Empty surfaces, walls, shoes seen from the side or above, insoles, feet drawn by the generator (seeds unseen
    in training), of the kinds the model trained on (a model made before a kind existed is not held to it; the
    model card reports how it does on them)."""
    from training.generator.negatives import negative_kind, render_negative, trained_kinds

    trained = set(trained_kinds(predictor.meta))
    seeds = [seed for seed in range(900_000, 900_100) if negative_kind(seed) in trained][:30]
    preds = predictor.predict_batch([_jpeg(Image.fromarray(render_negative(seed))) for seed in seeds])
    refused = sum("no_sole_found" in p[0].flags for p in preds)
    assert len(seeds) == 30 and refused >= 27


def test_natural_photos_it_never_saw_never_get_a_sure_answer(predictor):
    """A face, a cat, coffee, a rocket, a temple, a flower: real photos kept out of training (checked in the checkpoint).

    Each is refused or, at the least, shown as unsure. Since real photos of new soles joined the training
    (2026-12-04) the cat and the temple pass the sole finder (scene probability 0.80 and 0.82) and are only
    flagged unsure; the generated-only model refused all six. docs/model/experiments.md has the trade-off.
    """
    from training.natural_photos import held_out_photos

    photos = held_out_photos()
    assert not set(photos) & set(predictor.meta.get("natural_negatives", photos)), "held-out photos were trained on"
    preds = {name: predictor.predict(_jpeg(Image.fromarray(photo)), name=name)[0] for name, photo in photos.items()}
    sure = [name for name, p in preds.items() if "no_sole_found" not in p.flags and "low_confidence" not in p.flags]
    refused = [name for name, p in preds.items() if "no_sole_found" in p.flags]
    assert len(photos) >= 6 and not sure and len(refused) >= 4, (sure, refused)


def test_a_nearly_new_sole_is_never_a_sure_answer(predictor):
    """Too little wear to show a pattern: the app says so in words, whatever the class head says (configs/inference.yaml)."""
    from inference.settings import load_inference_settings
    from inference.wording import verdict
    from training.generator.sample import SampleSpec, render_sample

    bands = load_inference_settings().severity
    # One sole per photo, filling 80% of the frame (the bundled model trained on 62-95%; at 75% it reads the
    # nearly new over-pronation sole here at severity 0.17, a "lightly worn" answer: docs/model/experiments.md).
    for k, label in enumerate(TAX.class_ids):
        photo = render_sample(SampleSpec(label, 80_000 + k, 80_000 + k, wear_scale=0.03, pair=False, photo={"fill": 0.8})).photo
        pred = predictor.predict(photo.jpeg, name=f"new-{label}")[0]
        assert pred.label is not None and pred.severity < bands[0].below and not bands[0].pattern_readable, (label, pred.severity)
        said = verdict(pred, load_inference_settings())
        assert "low_confidence" in pred.flags and "too_new" in pred.unsure_reasons, (label, pred.confidence)
        assert said.title == "No wear pattern yet" and not said.certain and "too new to read" in said.reasons[0]


def test_real_photos_taken_toe_down_are_found_and_turned(predictor, real_photos):
    for path in real_photos:
        pred = predictor.predict(path)[0]
        assert "no_sole_found" not in pred.flags, path.name
        assert pred.orientation == "toe_down", path.name
        assert pred.side == "left", path.name  # both photographs show left shoes
        assert "upside_down_corrected" in pred.flags


@pytest.mark.parametrize("left_name, right_name", [("01-left.jpg", "02-right.jpg"), ("03-left.jpg", "04-right.jpg"),
                                                  ("05-left.jpg", "06-right.jpg"), ("07-left.jpg", "08-right.jpg"),
                                                  ("09-left.jpg", "10-right.jpg")])
def test_a_photo_of_both_soles_gives_two_results(predictor, left_name, right_name):
    left, right = Image.open(SAMPLES / left_name), Image.open(SAMPLES / right_name)
    pair = Image.new("RGB", (left.width + right.width, left.height))
    pair.paste(left, (0, 0))
    pair.paste(right, (left.width, 0))
    results = predictor.predict(_jpeg(pair), name="both.jpg")
    assert [(r.part, r.side) for r in results] == [("left", "left"), ("right", "right")]


def test_real_photos_keep_sole_and_toe_direction_in_all_eight_poses(predictor, real_photos):
    """Turned and mirrored, a real sole is still found, and its toe direction and side are read right in every view.

    The model card reports the same check (and how often the wear class stays the same) beside generated photos.
    """
    from inference.decode import load_rgb
    from training.real_soles import CSAFE_POSE
    from training.pose_check import pose_consistency

    for path in real_photos:
        result = pose_consistency(predictor, path.name, load_rgb(path), *CSAFE_POSE)
        assert result["found"] == 8 and result["orientation_right"] == 8 and result["split"] == 0, result
        assert result["side_right"] == 8, result  # 6 of 8 for one photo before the side was read from the symmetric views too


def test_real_photos_keep_their_class_when_turned_and_are_not_flagged_for_it(predictor, real_photos):
    """The pose check reads each photo again turned round and mirrored; on both worn CSAFE soles the class
    now holds in those views, so neither answer is marked unsure for it. (The generated-only model changed
    007961L's class when turned and flagged it; a class that changes is flagged: tests/test_pair_and_quality.py.)"""
    from inference.decode import load_rgb

    for path in real_photos:
        pred = predictor.predict(path)[0]
        assert pred.label is not None, (path.name, pred.flags)
        label = TAX.class_ids.index(pred.label)
        assert predictor.pipeline.pose_agrees([load_rgb(path)], [label])[0], path.name
        assert "changes_when_turned" not in pred.unsure_reasons, (path.name, pred.unsure_reasons)


def test_settings_passed_in_take_effect_in_the_predictor_the_wording_and_evaluation(tmp_path):
    """One reading pipeline, settings passed in: a stricter confidence bar and other words reach every figure."""
    from inference.settings import load_inference_settings
    from inference.wording import verdict
    from training.evaluate import evaluate

    base = load_inference_settings()
    strict = base.model_copy(update={
        "quality": base.quality.model_copy(update={"min_confidence": 0.999, "pose_check_views": ()}),
        "unsure_messages": {**base.unsure_messages, "weak": "A custom sentence for a weak answer."}})
    predictor = Predictor(settings=strict)
    pred = predictor.predict(SAMPLES / "03-left.jpg")[0]
    assert "low_confidence" in pred.flags and "weak" in pred.unsure_reasons
    assert "A custom sentence for a weak answer." in verdict(pred, strict).reasons
    assert predictor.pipeline.settings is strict
    report = evaluate(bundled_checkpoint(), SAMPLES, tmp_path / "eval", progress=False, settings=strict)
    assert report["confident"]["coverage"] == 0 and "pose_check" not in report      # every answer under the bar
    default = evaluate(bundled_checkpoint(), SAMPLES, tmp_path / "eval2", progress=False, settings=base, pose_check=False)
    assert default["confident"]["coverage"] > 0


@pytest.mark.parametrize("upright", [False, True], ids=["landscape", "portrait"])
@pytest.mark.parametrize("first", ["photo", "mirror"])
def test_a_real_sole_beside_its_mirror_image_gives_two_results_left_and_right(predictor, real_photos, first, upright):
    """The nearest the project has to a real pair photographed together (issue: real pairs give two results), as
    two photos side by side and as a pair in a portrait frame (before the cut along the sole's length, 2026-12-05,
    the bundled model read the portrait pairs as one sole in half of the arrangements tried).
    Whether the two halves get the same class is reported by `solewear real-check` and the model card, not asserted:
    on 2026-12-04 two of the four pairs did, and every half was shown as unsure (MODEL_CARD.md)."""
    from inference.decode import load_rgb
    from training.real_soles import mirror_pair

    for path in real_photos:
        pair = mirror_pair(predictor, path.name, load_rgb(path), first, upright)
        assert pair["results"] == 2 and pair["sides_right"], pair
