"""The synthetic generator: physics of the wear classes, files, determinism.

The physics tests run the wear simulation alone (no photo), 200 shoes per
class, and check what a running-shop wear guide would say of each pattern.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference.taxonomy import load_taxonomy
from training.generator.dataset import GenerateOptions, generate_dataset
from training.generator.sample import SampleSpec, render_sample, simulate_shoe

TAX = load_taxonomy()
Z = TAX.zone_ids
N_PER_CLASS = 200
STILL = dict(rotation_deg=0.0, tilt_x_deg=0.0, tilt_y_deg=0.0, cutoff=False, hand=False, fill=0.9)


@pytest.fixture(scope="module")
def zone_table() -> dict[str, dict[str, np.ndarray]]:
    """Zone scores of 200 worn shoes per class (pure gait, no second tendency)."""
    table = {}
    for c in TAX.class_ids:
        shoes = [simulate_shoe(SampleSpec(c, 50_000 + k, 0, allow_mix=False)) for k in range(N_PER_CLASS)]
        worn = [s for s in shoes if s.wear.severity > 0.05]
        assert len(worn) > 0.85 * N_PER_CLASS, "most simulated shoes should show wear"
        scores = np.array([s.wear.zones for s in worn])
        table[c] = {z: scores[:, i] for i, z in enumerate(Z)} | {"_all": scores}
    return table


def _share(mask: np.ndarray) -> float:
    return float(np.mean(mask))


def test_over_pronation_wears_the_medial_side(zone_table):
    z = zone_table["over_pronation"]
    assert _share(z["forefoot_medial"] > z["forefoot_lateral"]) >= 0.95
    assert _share(z["heel_medial"] > z["heel_lateral"]) >= 0.95


def test_supination_wears_the_lateral_edge(zone_table):
    z = zone_table["supination"]
    for band in ("forefoot", "midfoot", "heel"):
        assert _share(z[f"{band}_lateral"] > z[f"{band}_medial"]) >= 0.95, band


def test_lateral_heel_strike_tops_at_the_outer_heel(zone_table):
    z = zone_table["lateral_heel_strike"]
    assert _share(z["_all"].argmax(axis=1) == Z.index("heel_lateral")) >= 0.95
    forefoot = (z["forefoot_medial"] + z["forefoot_lateral"]) / 2
    assert _share(forefoot < 0.6 * z["heel_lateral"]) >= 0.9


def test_forefoot_loading_leaves_the_heel_nearly_untouched(zone_table):
    z = zone_table["forefoot_loading"]
    heel = (z["heel_medial"] + z["heel_lateral"]) / 2
    forefoot = (z["forefoot_medial"] + z["forefoot_lateral"]) / 2
    assert _share(heel < 0.5 * forefoot) >= 0.95


def test_neutral_is_even_across_the_sole(zone_table):
    z = zone_table["neutral"]
    ratio = z["forefoot_medial"] / np.maximum(z["forefoot_lateral"], 1e-6)
    assert 0.8 < np.median(ratio) < 1.4
    # Lighter than the lateral heel strike at the outer heel, no side dominates the midfoot.
    assert np.median(z["heel_lateral"]) < np.median(zone_table["lateral_heel_strike"]["heel_lateral"])
    assert _share(z["midfoot_lateral"] > z["midfoot_medial"]) >= 0.9  # the arch stays off the ground


def test_brand_new_shoes_are_barely_worn():
    shoes = [simulate_shoe(SampleSpec(TAX.class_ids[k % 2], 70_000 + k, 0)) for k in range(160)]
    new = [s for s in shoes if s.gait.mileage_km < 25]
    assert new, "the generator must produce some brand-new shoes"
    assert all(s.wear.severity < 0.1 for s in new)


def _normalised(zones: np.ndarray) -> np.ndarray:
    return zones / max(float(zones.max()), 1e-6)


def test_a_runner_with_two_tendencies_wears_like_the_labelled_one():
    """A blended gait keeps its label only if the sole still looks like that class (nearest pure-class pattern)."""
    from training.generator.settings import load_settings

    settings = load_settings()
    always_mixed = settings.model_copy(update={"runner": settings.runner.model_copy(update={"mix_probability": 1.0})})
    centre = {c: np.median([_normalised(simulate_shoe(SampleSpec(c, 50_000 + k, 0, allow_mix=False)).wear.zones)
                            for k in range(60)], axis=0) for c in TAX.class_ids}
    hits = []
    for k in range(500):
        label = TAX.class_ids[k % len(TAX.class_ids)]
        shoe = simulate_shoe(SampleSpec(label, 90_000 + k, 0), always_mixed)
        assert shoe.gait.mix_label and shoe.gait.mix_label != label
        zones = _normalised(shoe.wear.zones)
        hits.append(min(centre, key=lambda c: float(np.abs(zones - centre[c]).sum())) == label)
    # Blending by weight alone (the labelled class merely over one half) gives 0.88 here: a heel striker's
    # landing rubs so much harder that a 62/38 neutral/heel-strike blend wears like a heel striker.
    assert np.mean(hits) >= 0.9


@pytest.mark.parametrize("kind, seed, colours, sign", [("dusty", 322, ("black", "charcoal"), 1), ("grimy", 313, ("white",), -1)])
def test_a_nearly_new_sole_already_shows_where_it_is_rubbed(kind, seed, colours, sign):
    """After 5 km a heel striker's outer heel looks rubbed - lighter on a black sole when the rubber wears dusty,
    darker on a white one when it wears grimy - though no spot has lost even 5% of its tread."""
    from training.generator.appearance import WornLook, render_sole
    from training.generator.sample import _rng
    from training.generator.settings import load_settings

    outsole = load_settings().outsole
    base = simulate_shoe(SampleSpec("lateral_heel_strike", seed, 0, allow_mix=False))
    brightness = {}
    for km in (0.01, 5.0):
        shoe = simulate_shoe(SampleSpec("lateral_heel_strike", seed, 0, allow_mix=False, wear_scale=km / base.gait.mileage_km))
        look = render_sole(shoe.outline, shoe.tread, shoe.wear, 0.0, outsole, WornLook(kind, 0.4, float(sign)), _rng(seed, 2))
        brightness[km] = look.rgb[look.pad:-look.pad, look.pad:-look.pad].mean(axis=2)   # the simulation's grid
    assert look.rubber_colour in colours and look.worn_look == kind
    rubber, depth = shoe.wear.rubber, shoe.wear.depth_mm
    assert shoe.wear.fraction[rubber].max() < 0.05
    change = sign * (brightness[5.0] - brightness[0.01])
    most_worn = rubber & (depth >= np.quantile(depth[rubber], 0.9))
    least_worn = rubber & (depth <= np.quantile(depth[rubber], 0.5))
    # Depth alone (lugs a few hundredths of a mm lower) brightens the most-worn tenth by 0.006 on the black sole.
    assert change[most_worn].mean() > 0.012
    assert change[most_worn].mean() > 2.5 * change[least_worn].mean()  # where the runner lands, not everywhere


def test_the_worn_look_is_drawn_as_configured_and_written_to_the_manifest():
    from training.generator.appearance import WornLook
    from training.generator.sample import worn_look
    from training.generator.settings import load_settings

    settings = load_settings()
    shares = {"dusty": 0.5, "grimy": 0.3, "bare": 0.2}
    mixed = settings.model_copy(update={"outsole": settings.outsole.model_copy(update={"worn_look": shares})})
    kinds = [worn_look(SampleSpec("neutral", seed, 0), mixed).kind for seed in range(2000)]
    for kind, share in shares.items():
        assert kinds.count(kind) / len(kinds) == pytest.approx(share, abs=0.04), kind
    default = {k for k, share in settings.outsole.worn_look.items() if share > 0}
    assert {worn_look(SampleSpec("neutral", seed, 0)).kind for seed in range(200)} == default
    assert worn_look(SampleSpec("neutral", 5, 0, worn_look="bare")).kind == "bare"      # a spec may force one
    row = render_sample(SampleSpec("neutral", 5, 5, photo=STILL)).manifest_row()
    assert row["worn_look"] == worn_look(SampleSpec("neutral", 5, 5)).kind
    with pytest.raises(ValueError, match="unknown worn look"):
        WornLook("shiny", 0.5)


def test_a_manifest_row_renders_again_to_the_same_photo(tmp_path):
    from PIL import Image

    from training.generator.dataset import spec_of_row

    generate_dataset(tmp_path, GenerateOptions(n=3, seed=77, size=(128, 192)), progress=False)
    with open(tmp_path / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        photo = tmp_path / row["path"]
        with Image.open(photo) as img:
            again = render_sample(spec_of_row(row, img.size))
        assert again.photo.jpeg == photo.read_bytes()


def test_zone_scores_are_measured_on_the_depth_map():
    shoe = simulate_shoe(SampleSpec("over_pronation", 4242, 0))
    u, v = shoe.outline.u, shoe.outline.v
    rubber = shoe.wear.rubber
    for i, zone in enumerate(TAX.zones):
        # Independent computation: ask each zone which pixels it contains.
        member = np.zeros_like(rubber)
        ys, xs = np.nonzero(rubber)
        for y, x in zip(ys[::7], xs[::7]):
            member[y, x] = zone.contains(float(u[y, x]), float(v[y, x]))
        expected = shoe.wear.fraction[member].mean()
        assert shoe.wear.zones[i] == pytest.approx(expected, abs=0.02), zone.id
    assert 0 <= shoe.wear.severity <= 1


def test_photo_wear_map_matches_canonical_wear():
    s = render_sample(SampleSpec("lateral_heel_strike", 99, 7, photo=STILL))
    canonical = s.wear.fraction[s.wear.rubber].mean()
    photo = s.photo.wear[s.photo.mask].mean()
    # The photo map also covers the unworn midsole rim, so it can only be a little lower.
    assert photo == pytest.approx(canonical, rel=0.25)
    assert s.photo.image.shape[:2] == s.photo.mask.shape == s.photo.wear.shape


@pytest.mark.parametrize("side, sign", [("left", -1), ("right", 1)])
def test_medial_wear_lies_on_the_image_side_the_design_says(side, sign):
    """Seen from below, toe up: left shoe medial = image left, right shoe medial = image right."""
    s = render_sample(SampleSpec("over_pronation", 1234, 5, allow_mix=False,
                                 photo=STILL | {"side": side}))
    ys, xs = np.nonzero(s.photo.mask)
    centre = xs.mean()
    w = s.photo.wear[ys, xs]
    wear_centre = (xs * w).sum() / w.sum()
    assert np.sign(wear_centre - centre) == sign


@pytest.mark.parametrize("rotation, orientation", [(0.0, "toe_up"), (90.0, "toe_right"), (180.0, "toe_down"), (270.0, "toe_left")])
def test_rotation_is_recorded_and_real(rotation, orientation):
    s = render_sample(SampleSpec(TAX.class_ids[0], 5, 6, photo=STILL | {"rotation_deg": rotation, "fill": 0.8}))
    assert s.manifest_row()["orientation"] == orientation
    ys, xs = np.nonzero(s.photo.mask)
    long_axis_vertical = np.ptp(ys) > np.ptp(xs)
    assert long_axis_vertical == (orientation in {"toe_up", "toe_down"})


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files_whatever_the_workers(tmp_path):
    opts = dict(n=6, seed=11, size=(160, 240))
    generate_dataset(tmp_path / "a", GenerateOptions(**opts, workers=1), progress=False)
    generate_dataset(tmp_path / "b", GenerateOptions(**opts, workers=2), progress=False)
    generate_dataset(tmp_path / "c", GenerateOptions(n=6, seed=12, size=(160, 240)), progress=False)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert len(a) == 1 + 3 * 6
    assert a == b
    assert a["manifest.csv"] != c["manifest.csv"]


def test_manifest_schema_and_files(tmp_path):
    manifest = generate_dataset(tmp_path, GenerateOptions(n=10, seed=3, size=(160, 240), photos_per_shoe=2), progress=False)
    rows = list(csv.DictReader(open(manifest, encoding="utf-8")))
    assert len(rows) == 10
    required = {"path", "label", "side", "severity", "shoe_id", "seed", "rotation_deg", "orientation", "tread_family", *Z}
    assert required <= set(rows[0])
    for row in rows:
        assert row["label"] in TAX.class_ids and row["side"] in TAX.sides
        assert all(0.0 <= float(row[z]) <= 1.0 for z in Z)
        for col in ("path", "depth_path", "mask_path"):
            assert (tmp_path / row[col]).is_file()
    assert rows[0]["shoe_id"] == rows[1]["shoe_id"] != rows[2]["shoe_id"]
    assert {r["label"] for r in rows} == set(TAX.class_ids)  # balanced round robin over shoes


def test_a_row_re_renders_alone_from_its_seeds(tmp_path):
    manifest = generate_dataset(tmp_path, GenerateOptions(n=3, seed=8, size=(160, 240)), progress=False)
    row = list(csv.DictReader(open(manifest, encoding="utf-8")))[2]
    again = render_sample(SampleSpec(row["label"], int(row["shoe_seed"]), int(row["seed"]), size=(160, 240)))
    assert again.photo.jpeg == (tmp_path / row["path"]).read_bytes()


def test_contact_sheet_has_a_row_per_class(tmp_path):
    from PIL import Image

    from training.generator.preview import contact_sheet

    path = contact_sheet(tmp_path / "sheet.png", per_class=2, tile=(96, 144))
    img = Image.open(path)
    assert img.height == 144 * len(TAX.classes)
    assert img.width > 4 * 96


def test_leave_style_out_sets_draw_only_their_own_appearance_values(tmp_path):
    """--style seen never shows a held-out tread, construction, rubber, background or worn look, --style held_out only those;
    without a style every value is drawn as before (the default set's manifest has no style column)."""
    import subprocess
    import sys

    from training.generator.settings import load_settings
    from training.generator.style import style_values

    held = load_settings().held_out_style
    factors = {"tread_family": set(held.tread_family), "construction": set(held.construction), "rubber": set(held.rubber), "background": set(held.background),
               "worn_look": set(held.worn_look)}
    rows = {}
    for style in ("seen", "held_out"):
        result = subprocess.run([sys.executable, "-m", "training.cli", "generate", str(tmp_path / style), "--n", "30",
                                 "--seed", "5", "--size", "96x144", "--style", style, "--quiet"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        with open(tmp_path / style / "manifest.csv", newline="") as fh:
            rows[style] = list(csv.DictReader(fh))
        assert all(r["style"] == style for r in rows[style])
    for factor, values in factors.items():
        assert not {r[factor] for r in rows["seen"]} & values, factor
        assert {r[factor] for r in rows["held_out"]} <= values, factor
    assert len({r["tread_family"] for r in rows["held_out"]}) >= 2 and len({r["background"] for r in rows["seen"]}) >= 3
    seen, out = style_values(load_settings(), "seen"), style_values(load_settings(), "held_out")
    assert seen.light_elevation_deg[0] >= out.light_elevation_deg[1]           # the light too: seen high, held out low
    generate_dataset(tmp_path / "default", GenerateOptions(n=2, seed=5, size=(96, 144)), progress=False)
    with open(tmp_path / "default" / "manifest.csv", newline="") as fh:
        assert "style" not in next(csv.DictReader(fh))
    with pytest.raises(ValueError, match="unknown style"):
        style_values(load_settings(), "other")


def test_real_photos_are_set_beside_the_generated_soles_most_like_them(tmp_path):
    """Each real photo (new soles cropped to their outline, worn CSAFE photos whole) is followed by a generated one;
    with no real photos there is no sheet and generate --preview says why."""
    import os
    import subprocess
    import sys

    from PIL import Image

    from training.generator.real_sheet import TILE, real_beside_generated

    real = tmp_path / "real"
    (real / "new-soles" / "images").mkdir(parents=True)
    (real / "new-soles" / "labels").mkdir()
    for k in range(3):   # stand-ins for real photos: generated photos with one outlined sole each
        s = render_sample(SampleSpec("neutral", 900 + k, 950 + k, size=(160, 240)))
        Image.fromarray(s.photo.image).save(real / "new-soles" / "images" / f"img_-_20240101_10{k}.jpg")
        x0, y0, x1, y1 = s.photo.box
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        (real / "new-soles" / "labels" / f"img_-_20240101_10{k}.txt").write_text(
            "0 " + " ".join(f"{x / 160:.4f} {y / 240:.4f}" for x, y in corners))
    Image.fromarray(s.photo.image).save(real / "csafe-000001L-x.jpg")
    sheet = Image.open(real_beside_generated(tmp_path / "sheet.png", n_new=2, real_dir=real))
    assert sheet.size == (2 * 2 * TILE[0], 2 * TILE[1])          # two new soles and their matches; one worn and its match
    assert real_beside_generated(tmp_path / "none.png", real_dir=tmp_path / "empty") is None
    result = subprocess.run([sys.executable, "-m", "training.cli", "generate", "--preview", str(tmp_path / "p.png"),
                             "--preview-per-class", "1"], capture_output=True, text=True,
                            env={**os.environ, "SOLEWEAR_REAL_SOLES": str(tmp_path / "empty")})
    assert result.returncode == 0 and "no real sole photos" in result.stdout and not (tmp_path / "p-real.png").exists()


def test_sole_free_photos_come_in_the_kinds_asked_for_and_a_wrong_kind_stops_the_config():
    """Sole-shaped negatives (a shoe from above, an insole, a bare foot) are among the kinds; a run may choose some."""
    from training.config import load_config
    from training.generator.negatives import KINDS, negative_kind, render_negative

    assert {negative_kind(seed) for seed in range(300)} == set(KINDS)
    assert {negative_kind(seed, ("wall", "insole")) for seed in range(60)} == {"wall", "insole"}
    first = render_negative(7, (96, 144), ("insole",))
    assert first.shape == (144, 96, 3) and np.array_equal(first, render_negative(7, (96, 144), ("insole",)))
    assert load_config(str(Path(__file__).parents[1] / "configs" / "smoke.yaml"), ["augment.negative_kinds=[wall, insole]"]).augment.negative_kinds == ["wall", "insole"]
    with pytest.raises(Exception, match="negative_kinds must be some of"):
        load_config(str(Path(__file__).parents[1] / "configs" / "smoke.yaml"), ["augment.negative_kinds=[sock]"])


@pytest.mark.parametrize("seed", range(4))
def test_a_sole_held_up_in_a_hand_is_gripped_from_both_sides(seed):
    """Fingers over one long edge, the thumb over the other: the same photo without the hand shows the sole whole."""
    import cv2

    spec = SampleSpec("neutral", 70 + seed, 80 + seed, (192, 288), pair=False)
    held = render_sample(replace(spec, photo={"in_hand": True, "fill": 0.7}))
    lying = render_sample(replace(spec, photo={"in_hand": False, "hand": False, "fill": 0.7}))
    assert held.manifest_row()["in_hand"] == 1 and lying.manifest_row()["in_hand"] == 0
    covered = lying.photo.mask & ~held.photo.mask
    assert 0.6 < held.photo.visible_fraction < lying.photo.visible_fraction
    n, labels = cv2.connectedComponents(covered.astype(np.uint8))
    ys, xs = np.nonzero(lying.photo.mask)
    centre = np.array([xs.mean(), ys.mean()])
    spots = [np.argwhere(labels == k)[:, ::-1].mean(0) - centre for k in range(1, n) if (labels == k).sum() >= 4]
    assert any(float(a @ b) < 0 for a in spots for b in spots), "no finger and thumb on opposite sides of the sole"
