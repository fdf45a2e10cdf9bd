"""Both shoes of a pair in one photo: how the generator draws them, how training reads them, how they are scored.

Runners lay their two shoes side by side to photograph them. The generator
draws such photos (`photo.pair` of them); a row describes one shoe and where
its partner lies; training boxes the pair as one find (the reading cuts it in
two) and evaluation scores each shoe in the half the reading cuts for it.
"""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest

from inference.checkpoint import read_meta
from inference.preprocess import Preprocessor
from training.data import read_manifest
from training.generator.dataset import spec_of_row, write_specs
from training.generator.sample import SampleSpec, render_sample

SIZE = (192, 288)


def _overlap(a, b) -> float:
    """Share of the smaller box covered by the other."""
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


@pytest.mark.parametrize("seed", range(6))
def test_a_pair_photo_shows_a_left_and_a_right_sole_of_the_same_runner(seed):
    s = render_sample(SampleSpec("over_pronation", 900 + seed, 950 + seed, SIZE, pair=True))
    first, second = s.photo.soles
    row = s.manifest_row()
    assert row["pair"] == 1 and {row["side"], row["partner_side"]} == {"left", "right"}
    assert not (first.mask & second.mask).any()                # a pixel belongs to one sole at most
    assert _overlap(first.box, second.box) < 0.5                # beside each other, overlapping at an edge at most
    assert first.visible_fraction > 0.5 and second.visible_fraction > 0.5
    assert s.partner.gait.mileage_km == s.gait.mileage_km       # the two shoes have run the same distance...
    assert s.partner.gait.label == s.gait.label                 # ...for the same runner
    assert not np.array_equal(s.partner.wear.fraction, s.wear.fraction)   # but are not copies of each other
    assert (second.wear > 0).any() and (first.wear[second.mask] == 0).all()   # each wear map holds its own sole


def test_a_photo_of_one_sole_has_no_partner():
    s = render_sample(SampleSpec("neutral", 5, 6, SIZE, pair=False))
    assert s.photo.partner is None and s.manifest_row()["pair"] == 0


def test_pair_rows_read_back_with_their_partner_and_render_again(tmp_path):
    specs = [SampleSpec("supination", 31, 32, SIZE, pair=True), SampleSpec("supination", 33, 34, SIZE, pair=False)]
    write_specs(tmp_path, specs, progress=False)
    pair, single = read_manifest(tmp_path)
    assert single.others == () and len(pair.others) == 1
    with open(tmp_path / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    again = render_sample(spec_of_row(rows[0], SIZE))
    assert again.photo.jpeg == (tmp_path / rows[0]["path"]).read_bytes()
    assert tuple(float(v) for v in again.photo.partner.box) == pair.others[0]


def test_a_pair_is_one_find_whose_box_holds_both_soles(tmp_path, repo):
    from training.config import AugmentCfg
    from training.views import SoleViews

    write_specs(tmp_path, [SampleSpec("neutral", 41, 42, SIZE, pair=True)], progress=False)
    record = read_manifest(tmp_path)[0]
    pre = Preprocessor.from_meta(read_meta(repo / "inference" / "assets" / "default_model.json"))
    scene = SoleViews([record], pre, AugmentCfg(scene_p=1.0, negative_p=0.0, pose_p=0.0), seed=1)[0]
    alone = SoleViews([replace(record, others=())], pre, AugmentCfg(scene_p=1.0, negative_p=0.0, pose_p=0.0), seed=1)[0]
    assert float(scene["sole"]) == 1.0 and int(scene["side"]) == int(scene["orientation"]) == -1   # two sides: no one answer
    def corners(nb):   # (centre x, centre y, width, height) -> x0, y0, x1, y1
        cx, cy, w, h = nb.numpy()
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])

    pair_box, own_box = corners(scene["box"]), corners(alone["box"])
    assert (pair_box[:2] <= own_box[:2] + 1e-6).all() and (pair_box[2:] >= own_box[2:] - 1e-6).all()
    assert scene["box"][2:].prod() > 1.3 * alone["box"][2:].prod()
    crop = SoleViews([record], pre, AugmentCfg(scene_p=0.0, negative_p=0.0, pose_p=0.0), seed=1)[0]
    assert int(crop["side"]) >= 0 and int(crop["label"]) >= 0   # the shoe's own crop keeps every target


class _Halves:
    """A reading that cuts every photo down the middle (what ReadingPipeline.read does to a pair it finds)."""

    def pair_halves(self, image):
        cut = image.shape[1] // 2
        return [("left", image[:, :cut], (0, 0)), ("right", image[:, cut:], (cut, 0))]


def test_evaluation_scores_a_shoe_of_a_pair_in_the_half_the_reading_cuts_for_it():
    from training.data import Record
    from training.evaluate import as_read

    image = np.zeros((100, 200, 3), np.uint8)
    right_shoe = Record(label=0, box=(120.0, 10.0, 180.0, 90.0), others=((20.0, 10.0, 80.0, 90.0),))
    piece, box, cut = as_read(_Halves(), image, right_shoe, right_shoe.box)
    assert piece.shape == (100, 100, 3) and box == (20.0, 10.0, 80.0, 90.0) and cut

    class _Whole:
        def pair_halves(self, image):
            return None

    assert as_read(_Whole(), image, right_shoe, right_shoe.box) == (image, None, False)   # read whole: no one sole's box
    assert as_read(_Halves(), image, right_shoe, right_shoe.box, side_given=True) == (image, None, False)   # a side: never cut
    several = replace(right_shoe, others=((20.0, 10.0, 80.0, 90.0), (0.0, 0.0, 10.0, 10.0)))
    assert as_read(_Halves(), image, several, several.box) == (image, None, None)   # no pair: nothing cut, no box to score
    alone = replace(right_shoe, others=())
    assert as_read(_Halves(), image, alone, alone.box) == (image, alone.box, None)   # one sole: the whole photo, as the app reads it


def test_evaluate_says_how_many_shoes_of_pairs_the_reading_cut_out(tmp_path):
    from inference.model_store import bundled_checkpoint
    from training.evaluate import evaluate, summary_table

    specs = [SampleSpec("neutral", 51, 52, (384, 576), pair=True), SampleSpec("supination", 53, 54, (384, 576), pair=True),
             SampleSpec("forefoot_loading", 55, 56, (384, 576), pair=False)]
    write_specs(tmp_path, specs, progress=False)
    report = evaluate(bundled_checkpoint(), tmp_path, progress=False, pose_check=False)
    assert report["n_images"] == 3 and report["pairs_cut"]["n"] == 2      # the one-sole photo is no pair
    assert 0 <= report["pairs_cut"]["k"] <= 2
    assert f"{report['pairs_cut']['k']} of 2 shoes photographed beside their partner" in summary_table(report)
