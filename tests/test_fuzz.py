"""Fuzzing decode + predict with Hypothesis: random bytes, mutated real files, extreme shapes and modes.

2,050 generated inputs per run (900 + 700 + 450 in three properties). The only allowed outcomes
are a reading or the project's documented answer for an unusable file: a
`Prediction` whose `error` is one plain sentence. An untrained 64-px model is
used (this tests the plumbing, not the reading) with every quality bar at zero,
so each decodable input runs the whole pipeline: both passes, the pair split and
the pose check. Failures Hypothesis finds are kept below as `@example`s.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from inference.predictor import Predictor
from inference.settings import load_inference_settings
from tests.conftest import REPO, small_checkpoint
from tests.hostile_files import encoded

pytestmark = pytest.mark.slow
def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
SCENE = Image.open(REPO / "data" / "samples" / "03-left.jpg").convert("RGB").resize((96, 144))


SEEDS = [encoded(SCENE, "JPEG", quality=85), encoded(SCENE, "PNG"), encoded(SCENE, "WEBP"),
         encoded(SCENE, "HEIF", quality=60), encoded(SCENE.convert("P"), "GIF"), encoded(SCENE, "TIFF"),
         encoded(SCENE.convert("RGBA"), "PNG")]


@pytest.fixture(scope="module")
def predictor(tmp_path_factory) -> Predictor:
    base = load_inference_settings()
    everything_found = base.quality.model_copy(update={
        "min_sole_probability": 0.0, "min_crop_sole_probability": 0.0, "min_sharpness": 0.0,
        "dark_luminance": 0.0, "bright_luminance": 1.0, "min_sole_area": 0.0})
    return Predictor(small_checkpoint(tmp_path_factory.mktemp("fuzz") / "m.safetensors"),
                     settings=base.model_copy(update={"quality": everything_found}))


def _answered(predictor: Predictor, data: bytes) -> None:
    """A reading or a one-sentence error; any exception fails the property."""
    [results] = predictor.predict_batch([data], names=["fuzzed"])
    assert results
    for r in results:
        if r.error:
            assert "\n" not in r.error and "Traceback" not in r.error and len(r.error) < 220, r.error
        else:
            assert r.image_size and (r.label is None or r.label in predictor.taxonomy.class_ids)
            assert r.label is None or abs(sum(r.probabilities.values()) - 1) < 1e-3


@fuzz(900)
@given(data=st.binary(max_size=4096))
@example(data=b"")
def test_random_bytes(predictor, data):
    _answered(predictor, data)


@st.composite
def mutated(draw) -> bytes:
    """A real picture file with bytes flipped, cut, repeated or inserted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 256))]
    return bytes(data)


@fuzz(700)
@given(data=mutated())
def test_mutated_real_files(predictor, data):
    _answered(predictor, data)


@st.composite
def extreme_pictures(draw) -> bytes:
    """Valid pictures of extreme shape, mode and content, in every format a phone or a computer sends."""
    width, height = draw(st.integers(1, 1600)), draw(st.integers(1, 1600))
    if draw(st.booleans()):
        width = draw(st.integers(1, 8))          # slivers: 1-8 pixels across
    mode = draw(st.sampled_from(["RGB", "L", "1", "P", "RGBA", "LA", "I;16", "CMYK", "F"]))
    big = width * height > 250_000               # large pictures stay flat and lossless: cheap to make and to send
    fill = "flat" if big else draw(st.sampled_from(["noise", "flat", "scene"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if fill == "scene":
        img = SCENE.resize((width, height))
    elif fill == "noise":
        img = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    else:
        img = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(0, 256, 3)))
    img = img.convert(mode) if mode not in ("I;16", "F") else img.convert("L").convert(mode)
    fmt = draw(st.sampled_from(["PNG", "BMP"] if big else ["PNG", "TIFF", "JPEG", "WEBP", "HEIF", "GIF", "BMP"]))
    try:
        return encoded(img, fmt)
    except (OSError, ValueError, KeyError):      # Pillow cannot write that mode in that format: send it as PNG/TIFF
        return encoded(img, "TIFF")


@fuzz(450)
@given(data=extreme_pictures())
@example(data=encoded(Image.new("RGB", (1, 1)), "PNG"))   # found 2026-12-04: the pair split cut it into an empty half
def test_extreme_shapes_and_modes(predictor, data):
    _answered(predictor, data)
