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


def test_soles_pass_one_missed_are_found_in_windows_merged_and_ordered(monkeypatch):
    """Each sole seen whole in at least two windows is found once, a sole cut by a window edge is not taken from
    that window, and the soles come left to right in photo pixels (inference.search)."""
    from inference import forward, search
    from inference.forward import Scene

    H, W = 160, 240
    photo = np.zeros((H, W, 3), np.uint8)
    photo[..., 0] = np.arange(W)[None, :]          # each pixel knows where it is: a crop knows its window
    photo[..., 1] = np.arange(H)[:, None]
    soles = [(160, 45, 185, 105), (20, 50, 45, 100)]   # small enough to lie whole in windows of half the photo

    def seen(model, pre, crops, device="cpu"):
        rows = []
        for crop in crops:
            x0, y0 = int(crop[0, 0, 0]), int(crop[0, 0, 1])
            x1, y1 = x0 + crop.shape[1], y0 + crop.shape[0]
            inside = [s for s in soles if s[0] >= x0 and s[1] >= y0 and s[2] <= x1 and s[3] <= y1]
            cut = [s for s in soles if s[0] < x1 and s[2] > x0 and s[1] < y1 and s[3] > y0]
            if inside:
                s = inside[0]
                rows.append((0.95, (s[0] - x0, s[1] - y0, s[2] - x0, s[3] - y0)))
            elif cut:   # part of a sole, running into the window's edge
                s = cut[0]
                rows.append((0.9, (max(s[0], x0) - x0, max(s[1], y0) - y0, min(s[2], x1) - x0, min(s[3], y1) - y0)))
            else:
                rows.append((0.05, (0, 0, 10, 10)))
        n = len(rows)
        return Scene(np.array([p for p, _ in rows]), [b for _, b in rows], np.zeros(n, int), np.ones(n), ["left"] * n, np.ones(n))

    monkeypatch.setattr(forward, "read_scene", seen)   # each window's pass 1
    found = search.find_soles(None, None, photo)
    assert found is not None and [tuple(map(float, b)) for b in found.boxes] == [tuple(map(float, s)) for s in sorted(soles)]
    soles[:] = [(20, 50, 45, 100)]                 # one sole, seen whole in a single window only: not enough
    monkeypatch.setattr(search, "search_windows", lambda h, w: [(0, 0, 120, 160), (120, 0, 240, 160)])
    assert search.find_soles(None, None, photo) is None
