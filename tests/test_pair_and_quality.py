"""Pair analysis and the photo-quality gate, on constructed inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.pair import compare_pair
from inference.quality import photo_flags, photo_measures
from inference.results import Prediction
from inference.settings import load_inference_settings
from inference.taxonomy import load_taxonomy

TAX = load_taxonomy()
Q = load_inference_settings().quality


def _pred(side: str, label: str, **zones: float) -> Prediction:
    z = {zid: 0.3 for zid in TAX.zone_ids} | zones
    return Prediction(path=f"{side}.jpg", label=label, side=side, zones=z)


def test_pair_names_the_zone_that_differs_most():
    left = _pred("left", "neutral")
    right = _pred("right", "lateral_heel_strike", heel_lateral=0.75)
    report = compare_pair(right, left, load_inference_settings())  # order of upload does not matter
    assert report.largest_zone == "heel_lateral" and report.flagged
    assert report.asymmetry["heel_lateral"] == pytest.approx(0.45)
    assert "right shoe" in report.summary and "heel, outer side" in report.summary
    assert any("different patterns" in n for n in report.notes)


def test_pair_of_alike_shoes_is_not_flagged():
    report = compare_pair(_pred("left", "neutral", toe=0.32), _pred("right", "neutral"), load_inference_settings())
    assert not report.flagged and "alike" in report.summary and report.notes == []


def test_two_left_shoes_are_called_a_mix_up():
    report = compare_pair(_pred("left", "neutral"), _pred("left", "neutral"), load_inference_settings())
    assert any("Both photos look like left shoes" in n for n in report.notes)


def _sole_photo(brightness: float = 0.55, blur: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = (rng.random((400, 300, 3)) * 0.3 + brightness - 0.15) * 255
    img = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(img, (0, 0), blur) if blur else img


BOX = (50.0, 50.0, 250.0, 380.0)


@pytest.mark.parametrize("photo, flag", [
    (_sole_photo(0.05), "too_dark"), (_sole_photo(1.1), "too_bright"), (_sole_photo(blur=6), "too_blurry"),
])
def test_bad_photos_are_flagged(photo, flag):
    assert flag in photo_flags(photo_measures(photo, BOX), Q, tuple(TAX.quality_flags))


def test_a_good_photo_raises_no_photo_flag():
    assert photo_flags(photo_measures(_sole_photo(), BOX), Q, tuple(TAX.quality_flags)) == []


def test_a_tiny_sole_is_flagged():
    assert "sole_too_small" in photo_flags(photo_measures(_sole_photo(), (10, 10, 40, 60)), Q, tuple(TAX.quality_flags))


def test_unsure_reasons_name_exactly_the_parts_of_the_low_confidence_rule():
    settings = load_inference_settings()
    weak, readable = settings.quality.min_confidence - 0.01, settings.severity[0].below + 0.1
    cases = [((0.9, readable, True), []), ((weak, readable, True), ["weak"]), ((0.9, 0.01, True), ["too_new"]),
             ((0.9, readable, False), ["changes_when_turned"]), ((weak, 0.01, False), ["too_new", "weak", "changes_when_turned"])]
    for args, reasons in cases:
        assert settings.unsure_reasons(*args) == reasons
        assert settings.low_confidence(*args) == bool(reasons)          # the reasons are the flag's, no more


def test_no_asymmetry_alert_when_either_shoe_is_unsure():
    right = _pred("right", "lateral_heel_strike", heel_lateral=0.75)
    right.flags = ["low_confidence"]
    report = compare_pair(_pred("left", "neutral"), right, load_inference_settings())
    assert not report.flagged and "not compared" in report.summary and "right shoe is unsure" in report.summary


def test_a_side_that_contradicts_the_photo_is_pointed_out():
    from inference.wording import verdict

    pred = _pred("left", "neutral")
    pred.side_source, pred.side_conflict = "given", "right"
    said = verdict(pred, load_inference_settings())
    assert said.warnings and "looks like a right shoe" in said.warnings[0] and said.certain
