"""No shortcut features: nothing but the wear may tell the classes apart.

Construction, colours, light, the view of the sidewall, backgrounds, tread
families, outlines, photo conditions, a sole held in a hand and the layout of a pair photographed together are drawn from streams that never see
the class. This test checks it the statistical
way: across 1,000 generated shoes, each such attribute is independent of the
label (chi-square test), so a model cannot learn the class from it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from training.generator.appearance import sample_look
from training.generator.dataset import GenerateOptions, sample_specs
from training.generator.sample import _rng, in_hand, pair_layout, simulate_shoe, worn_look
from training.generator.scene import sample_photo_params
from training.generator.settings import load_settings

N = 1000


@pytest.fixture(scope="module")
def attributes() -> list[dict]:
    settings = load_settings()
    # The default config draws one worn look; a mix shows that the look's own draw never sees the class.
    mixed_looks = settings.model_copy(update={"outsole": settings.outsole.model_copy(update={"worn_look": {"dusty": 0.5, "grimy": 0.3, "bare": 0.2}})})
    rows = []
    for spec in sample_specs(GenerateOptions(n=N, seed=2024)):
        shoe = simulate_shoe(spec, settings)
        photo = sample_photo_params(settings, _rng(spec.photo_seed, 1))
        look = sample_look(_rng(spec.shoe_seed, 2))   # the first draws of the sole's appearance stream
        worn = worn_look(spec, mixed_looks)
        pair = pair_layout(spec, settings)
        rows.append({"label": spec.label, "tread_family": shoe.tread.family, "outline": shoe.outline.shape,
                     "construction": shoe.construction.kind, "flex_grooves": shoe.construction.flex_grooves,
                     "two_compounds": shoe.construction.two_compounds, "shank": shoe.construction.shank, "rubber": look.rubber,
                     "second_rubber": look.second_rubber, "foam_colour": look.foam, "upper_colour": look.upper,
                     "light_azimuth_band": int(look.light.azimuth // (np.pi / 2)),
                     "light_elevation_band": int(look.light.elevation_deg // 10), "ambient_band": int(look.light.ambient // 0.15),
                     "gloss_band": int(look.light.gloss // 0.125), "sidewall_band": int(look.sidewall.reach_px // 4),
                     "worn_look": worn.kind, "worn_tone_band": int((worn.tone + 1) // 0.5),
                     "surface": shoe.gait.surface, "background": photo.background, "side": photo.side,
                     "orientation": photo.orientation, "hand": photo.hand, "ruler": photo.ruler,
                     "label_card": photo.label_card, "clutter": photo.clutter, "cutoff": photo.cutoff, "motion_blur": photo.motion_blur,
                     "exposure_band": int(photo.exposure // 0.25), "jpeg_band": photo.jpeg_quality // 20,
                     "tilt_band": int(np.hypot(photo.tilt_x_deg, photo.tilt_y_deg) // 8), "fill_band": int(photo.fill // 0.1),
                     "focus_band": int(photo.focus_sigma // 0.8), "mileage_band": int(shoe.gait.mileage_km // 250),
                     "in_hand": in_hand(spec, settings, pair), "pair": pair is not None, "pair_layout": "one sole" if pair is None else
                     f"{pair.opposite}-{pair.beside}-{pair.on_top}-{int(pair.gap > 0.2)}"})
    return rows


@pytest.mark.parametrize("attribute", ["tread_family", "outline", "construction", "flex_grooves", "two_compounds", "shank", "rubber",
                                       "second_rubber", "foam_colour", "upper_colour", "light_azimuth_band",
                                       "light_elevation_band", "ambient_band", "gloss_band", "sidewall_band",
                                       "worn_tone_band", "worn_look", "surface", "background", "side", "orientation",
                                       "hand", "ruler", "label_card", "clutter", "cutoff", "motion_blur", "exposure_band", "jpeg_band",
                                       "tilt_band", "fill_band", "focus_band", "mileage_band", "in_hand", "pair", "pair_layout"])
def test_attribute_is_independent_of_the_class(attributes, attribute):
    labels = sorted({r["label"] for r in attributes})
    values = sorted({r[attribute] for r in attributes}, key=str)
    counts = Counter((r["label"], r[attribute]) for r in attributes)
    table = np.array([[counts[(lab, v)] for v in values] for lab in labels])
    p = chi2_contingency(table).pvalue if len(values) > 1 else 1.0
    assert p > 0.001, f"{attribute} is associated with the class (p={p:.2g}): a shortcut a model could learn"
