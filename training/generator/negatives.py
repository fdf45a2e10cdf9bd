"""Photos with no sole in them, so the model learns to say "no sole found".

Kinds: an empty surface with props (ruler, label card, a hand), a landscape,
a plain wall, a shoe seen from the side, sole-coloured blobs without tread,
and three things shaped like a sole that are not one: a shoe seen from above
(upper, laces, collar), an insole (fabric, print, no tread) and a bare foot
from below. The last three teach the refusal what a sole-shaped photo needs
before it is read as a worn outsole. All pass through the same light and
camera as the positives.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from training.generator.scene import (
    BACKGROUNDS,
    PhotoParams,
    background,
    camera,
    draw_card,
    draw_hand,
    draw_ruler,
    lighting,
    paint,
    sample_photo_params,
    texture,
)
from training.generator.outline import Outline, sample_outline, uv_to_xy
from training.generator.settings import load_settings

KINDS = ("surface", "landscape", "wall", "shoe_side_view", "blobs", "shoe_top_view", "insole", "bare_foot")
#: The kinds a checkpoint trained before 2026-12-04 saw; newer checkpoints record theirs (`negative_kinds`).
FIRST_KINDS = KINDS[:5]


def trained_kinds(meta: dict) -> list[str]:
    """The sole-free kinds a checkpoint learned to refuse (its record, or the first five for older checkpoints)."""
    return list(meta.get("negative_kinds", FIRST_KINDS))


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


def _placed(rng: np.random.Generator, h: int, w: int, from_v: float = 0.0) -> tuple[np.ndarray, Outline, np.ndarray]:
    """A sole-shaped outline (from `from_v` back) turned and scaled into the frame: (coverage, outline, 2x3 map)."""
    outline = sample_outline(rng)
    mask = (outline.inside & (outline.v >= from_v)).astype(np.float32)
    gh, gw = mask.shape
    scale = rng.uniform(0.4, 0.9) * min(h, w * 1.5) / gh
    m = cv2.getRotationMatrix2D((gw / 2, gh / 2), float(rng.uniform(0, 360)), scale)
    m[:, 2] += np.array([w / 2 - gw / 2, h / 2 - gh / 2]) + rng.uniform(-0.15, 0.15, 2) * np.array([w, h])
    cover = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_LINEAR)
    return cover, outline, m


def _canon_points(outline: Outline, m: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points of the sole's (u, v) frame in the photo (through the placement `m`)."""
    x, y = uv_to_xy(outline, u, v)
    return (np.column_stack([x, y, np.ones_like(x)]) @ m.T).astype(np.int32)


def _oval(outline: Outline, m: np.ndarray, cu: float, cv: float, ru: float, rv: float) -> np.ndarray:
    """An oval of the sole's (u, v) frame as a photo polygon: a collar opening, a heel cup."""
    t = np.linspace(0, 2 * np.pi, 30)
    return _canon_points(outline, m, cu + ru * np.cos(t), cv + rv * np.sin(t))


def _shoe_top_view(img: np.ndarray, rng: np.random.Generator) -> None:
    """A shoe seen from above: the upper's fabric, a collar opening at the heel, laces across the instep."""
    h, w = img.shape[:2]
    cover, outline, m = _placed(rng, h, w)
    fabric = rng.uniform(0.05, 0.95, 3).astype(np.float32)
    paint(img, cover, fabric, 0.85 + 0.15 * texture(rng, h, w, 0.7) * 0.5)
    cv2.fillPoly(img, [_oval(outline, m, 0.5, 0.82, 0.28, 0.1)], tuple(float(c) for c in fabric * 0.25))
    lace = tuple(float(c) for c in rng.choice([[0.95, 0.95, 0.95], [0.1, 0.1, 0.1], fabric * 0.6]))
    for v in np.linspace(0.35, 0.68, int(rng.integers(4, 7))):
        a, b = _canon_points(outline, m, np.array([0.3, 0.7]), np.array([v, v + 0.03]))
        cv2.line(img, tuple(int(c) for c in a), tuple(int(c) for c in b), lace, max(2, int(min(h, w) / 90)))


def _insole(img: np.ndarray, rng: np.random.Generator) -> None:
    """An insole: soft fabric in the sole's shape, a printed mark, a darker heel cup - and no tread."""
    h, w = img.shape[:2]
    cover, outline, m = _placed(rng, h, w)
    colour = np.array(rng.choice([[0.15, 0.15, 0.18], [0.85, 0.85, 0.8], [0.2, 0.35, 0.7], [0.7, 0.3, 0.3]]), np.float32)
    paint(img, cover, colour, 1 + 0.04 * texture(rng, h, w, 0.6))
    cv2.fillPoly(img, [_oval(outline, m, 0.5, 0.85, 0.3, 0.09)], tuple(float(c) for c in colour * 0.85))
    x, y = _canon_points(outline, m, np.array([0.35]), np.array([0.6]))[0]
    text = "".join(rng.choice(list("ABEKMNORSTVXZ"), size=int(rng.integers(3, 7))))
    ink = np.zeros((h, w), np.uint8)   # OpenCV draws text on 8-bit images only
    cv2.putText(ink, text, (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, min(h, w) / 500, 255, 2, cv2.LINE_AA)
    paint(img, ink.astype(np.float32) / 255, 1 - colour)


def _bare_foot(img: np.ndarray, rng: np.random.Generator) -> None:
    """A bare foot from below: skin in the sole's shape with five toes and a paler arch."""
    h, w = img.shape[:2]
    cover, outline, m = _placed(rng, h, w, from_v=0.09)
    skin = np.clip(np.array(rng.choice([[224, 172, 140], [198, 134, 100], [141, 85, 60], [240, 200, 170]]), np.float32)
                   + rng.normal(0, 10, 3), 0, 255) / 255
    pad = np.zeros((h, w), np.float32)
    width_px = float(np.max(outline.lateral_x - outline.medial_x)) * np.hypot(*m[0, :2])   # the foot's width in the photo
    for u, v, r in ((0.2, 0.045, 0.13), (0.43, 0.035, 0.085), (0.59, 0.05, 0.08), (0.73, 0.07, 0.07), (0.85, 0.095, 0.06)):
        (x, y), = _canon_points(outline, m, np.array([u]), np.array([v]))
        radius = max(2, int(r * width_px))
        cv2.circle(pad, (int(x), int(y)), radius, 1.0, -1)
    cover = np.maximum(cover, pad)
    paint(img, cover, skin, 0.9 + 0.1 * cv2.GaussianBlur(cover, (0, 0), 6))


SOLE_SHAPED = {"shoe_top_view": _shoe_top_view, "insole": _insole, "bare_foot": _bare_foot}


def _draw(seed: int, size: tuple[int, int] | None, kinds: Sequence[str]) -> tuple[np.random.Generator, PhotoParams, str]:
    """The seed's stream, its photo conditions and its kind (one of `kinds`): the first draws of every negative."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"negative kinds must be some of {list(KINDS)}; got {list(kinds)}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 3]))
    params = sample_photo_params(load_settings(), rng, size)
    return rng, params, str(rng.choice(list(kinds)))


def negative_kind(seed: int, kinds: Sequence[str] = KINDS) -> str:
    """What the negative of `seed` shows, without rendering it."""
    return _draw(seed, None, kinds)[2]


def render_negative(seed: int, size: tuple[int, int] | None = None, kinds: Sequence[str] = KINDS) -> np.ndarray:
    """A sole-free photo (uint8 RGB) of one of `kinds`, fully determined by `seed` and the kinds."""
    rng, params, kind = _draw(seed, size, kinds)
    h, w = params.height, params.width
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
    elif kind in SOLE_SHAPED:
        SOLE_SHAPED[kind](img, rng)
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
