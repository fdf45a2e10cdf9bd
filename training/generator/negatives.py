"""Photos with no sole in them, so the model learns to say "no sole found".

Kinds: an empty surface with props (ruler, label card, a hand), a landscape,
a plain wall, a shoe seen from the side, and sole-coloured blobs without
tread. They pass through the same light and camera as the positives.
"""

from __future__ import annotations

import cv2
import numpy as np

from training.generator.scene import (
    BACKGROUNDS,
    background,
    camera,
    draw_card,
    draw_hand,
    draw_ruler,
    lighting,
    sample_photo_params,
    texture,
)
from training.generator.settings import load_settings

KINDS = ("surface", "landscape", "wall", "shoe_side_view", "blobs")


def _landscape(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    horizon = int(h * rng.uniform(0.3, 0.6))
    top, bottom = np.array([0.35, 0.55, 0.9]) * rng.uniform(0.8, 1.1), np.array([0.75, 0.85, 0.95])
    t = np.linspace(0, 1, horizon)[:, None, None]
    sky = np.broadcast_to(top * (1 - t) + bottom * t, (horizon, w, 3))
    ground_colour = np.array(rng.choice([[0.3, 0.5, 0.2], [0.45, 0.38, 0.25], [0.5, 0.5, 0.48]]))
    ground = ground_colour * (1 + 0.2 * texture(rng, h - horizon, w, 3, 0.3))[..., None]
    img = np.concatenate([sky, ground], axis=0).astype(np.float32)
    for _ in range(int(rng.integers(0, 6))):  # trees / buildings on the horizon
        x, rw, rh = int(rng.integers(0, w)), int(rng.integers(10, 60)), int(rng.integers(10, 80))
        cv2.ellipse(img, (x, horizon), (rw, rh), 0, 180, 360, tuple(float(c) for c in rng.uniform(0.1, 0.4, 3)), -1)
    return img


def _shoe_side_view(img: np.ndarray, rng: np.random.Generator) -> None:
    """A running shoe in profile: midsole band, outsole line, upper, laces."""
    h, w = img.shape[:2]
    length = w * rng.uniform(0.55, 0.9)
    x0, base = (w - length) / 2, h * rng.uniform(0.45, 0.7)
    xs = np.linspace(0, 1, 40)
    spring = 0.08 * length * np.clip((xs - 0.8) / 0.2, 0, 1) ** 2
    mid_h = length * rng.uniform(0.08, 0.13)
    bottom = np.column_stack([x0 + xs * length, base - spring])
    top = np.column_stack([x0 + xs * length, base - spring - mid_h])
    midsole = np.vstack([bottom, top[::-1]]).astype(np.int32)
    upper_h = length * rng.uniform(0.25, 0.38) * (1 - 0.6 * xs) + mid_h
    upper = np.vstack([top, np.column_stack([x0 + xs[::-1] * length, (base - spring - upper_h)[::-1]])]).astype(np.int32)
    colour = lambda: tuple(float(c) for c in rng.uniform(0.05, 0.95, 3))  # noqa: E731
    cv2.fillPoly(img, [upper], colour())
    cv2.fillPoly(img, [midsole], colour())
    cv2.polylines(img, [bottom.astype(np.int32)], False, (0.08, 0.08, 0.08), max(2, int(mid_h * 0.2)))
    for k in range(5):  # laces
        lx = x0 + length * (0.45 + 0.07 * k)
        ly = base - np.interp((lx - x0) / length, xs, spring + upper_h) + 4
        cv2.line(img, (int(lx - 6), int(ly)), (int(lx + 6), int(ly + 4)), (0.95, 0.95, 0.95), 2)


def _blobs(img: np.ndarray, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.uniform(0.1, 0.3) * w), int(rng.uniform(0.1, 0.4) * h))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, tuple(float(c) for c in rng.uniform(0.05, 0.9, 3)), -1)


def render_negative(seed: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """A sole-free photo (uint8 RGB), fully determined by `seed`."""
    settings = load_settings()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 3]))
    params = sample_photo_params(settings, rng, size)
    h, w = params.height, params.width
    kind = str(rng.choice(KINDS))
    if kind == "landscape":
        img = _landscape(rng, h, w)
    elif kind == "wall":
        img = background(str(rng.choice(["paper", "concrete", "table"])), rng, h, w)
    else:
        img = background(str(rng.choice(BACKGROUNDS)), rng, h, w)
    if kind == "shoe_side_view":
        _shoe_side_view(img, rng)
    elif kind == "blobs":
        _blobs(img, rng)
    if rng.random() < 0.4:
        draw_ruler(img, rng)
    if rng.random() < 0.3:
        draw_card(img, rng)
    if kind == "surface" and rng.random() < 0.3:
        region = np.zeros((h, w), bool)
        region[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = True
        draw_hand(img, region, rng)
    img = camera(lighting(img, params, rng), params, rng)
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
