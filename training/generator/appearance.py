"""Rendering the worn sole: rubber, lugs flattened and rounded, polish, dirt, wear-through.

Input is the simulated depth loss; output is the sole as a camera would see it
in the canonical frame (RGB in [0, 1] plus coverage), lit by a directional
light. Colours are drawn independently of the wear class.

Worn rubber shows in two ways. First the moulded finish of a new outsole is
rubbed matte and dusty, visibly so after a few kilometres and all of it by a
few tenths of a millimetre (`scuff`, a low power of the depth lost, so that a
shoe's first ten kilometres already show where the rubbing concentrates).
Then the lugs flatten, round off and, at last, wear through (`fraction` of
the tread depth). Without the first, a shoe's first hundred kilometres would
show next to nothing of its runner's pattern, which is not what real soles do.

Which way the rubbed rubber changes colour is the shoe's *worn look*, drawn
per shoe (`sample_worn_look`): dusty (towards a dust colour, so dark rubber
lightens, light rubber greys), grimy (darker) or bare (its own colour: only
relief, streaks and polish show). Real compounds and surfaces do all three;
the default config draws dusty only, and the other looks let the model card
measure how much a model leans on that one colour rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from training.generator.outline import Outline
from training.generator.settings import WORN_LOOKS, Outsole
from training.generator.tread import MIDSOLE_POCKET, SECOND_RUBBER, Tread
from training.generator.wear import Wear

# Rubber colours (RGB 0-255): black and greys dominate real outsoles, then
# gum, white and bright colours.
RUBBER = {
    "black": ((28, 28, 30), 0.30), "charcoal": ((55, 56, 60), 0.15), "grey": ((110, 112, 116), 0.10),
    "white": ((225, 224, 218), 0.10), "gum": ((150, 105, 60), 0.07), "navy": ((35, 45, 80), 0.05),
    "orange": ((230, 110, 30), 0.05), "blue": ((40, 110, 200), 0.05), "green": ((60, 160, 80), 0.04),
    "pink": ((230, 90, 150), 0.04), "yellow": ((225, 205, 40), 0.05),
}
MIDSOLE = [(235, 235, 230), (240, 238, 225), (200, 200, 205), (40, 40, 42), (230, 90, 60), (70, 120, 210), (180, 230, 60), (120, 120, 125)]
UPPER = [(30, 30, 35), (200, 200, 205), (40, 60, 140), (180, 40, 40), (60, 60, 60), (230, 120, 40), (120, 70, 160), (30, 110, 90)]
DIRT = [(110, 90, 65), (140, 125, 100), (90, 85, 80), (160, 150, 130)]


@dataclass(frozen=True)
class WornLook:
    kind: str            # a key of settings.WORN_LOOKS (configs/generator.yaml outsole.worn_look)
    grime_keep: float    # grimy: rubbed rubber is mixed towards this share of its own brightness

    def __post_init__(self) -> None:
        if self.kind not in WORN_LOOKS:
            raise ValueError(f"unknown worn look {self.kind!r}; known: {list(WORN_LOOKS)}")


@dataclass(frozen=True)
class SoleLook:
    rgb: np.ndarray      # (H, W, 3) float32 in [0, 1], canonical frame
    alpha: np.ndarray    # (H, W) float32 coverage of sole + visible upper
    sole: np.ndarray     # (H, W) bool: outsole + midsole rim (the sole mask)
    rubber_colour: str
    worn_look: str


def sample_worn_look(outsole: Outsole, rng: np.random.Generator, looks: dict[str, float] | None = None) -> WornLook:
    """Which way this shoe's abraded rubber changes colour; its own stream, so it never sees the class.

    `looks` (look -> weight) replaces the configured draw (a leave-style-out style).
    """
    looks = outsole.worn_look if looks is None else looks
    kinds = list(looks)
    p = np.array([looks[k] for k in kinds], np.float64)
    kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
    return WornLook(kind, float(rng.uniform(*outsole.grime_keep)))


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator, amount: float = 12) -> np.ndarray:
    return np.clip(np.array(rgb, np.float32) + rng.normal(0, amount, 3), 0, 255) / 255


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    return cv2.GaussianBlur(n, (0, 0), sigma) * sigma if sigma > 0 else n


def _scuff(depth_mm: np.ndarray, skin_mm: float, exponent: float) -> np.ndarray:
    """How much of the moulded finish is rubbed off (0..1): a power of the depth lost, all of it at `skin_mm`."""
    return np.clip(depth_mm / skin_mm, 0, 1).astype(np.float32) ** exponent


def _shading(outline: Outline, tread: Tread, wear: Wear, rng: np.random.Generator,
             light_elevation_deg: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The worn relief lit from a random direction: (shade, lit share of each facet, groove cavity)."""
    H = outline.inside.shape[0]
    ppmm = outline.px_per_mm
    D, d, frac = tread.depth_mm, wear.depth_mm, wear.fraction
    # Geometry after wear: lug tops are cut down to the receding contact plane,
    # and worn edges are rounded off (blend towards a blurred copy).
    z0 = D * tread.height
    z = np.minimum(z0, D - d)
    z = (1 - frac) * z + frac * np.minimum(z, cv2.GaussianBlur(z, (0, 0), 1.5))
    gx = cv2.Sobel(z, cv2.CV_32F, 1, 0, ksize=3) / 8 * ppmm
    gy = cv2.Sobel(z, cv2.CV_32F, 0, 1, ksize=3) / 8 * ppmm
    az, el = rng.uniform(0, 2 * np.pi), np.deg2rad(rng.uniform(*light_elevation_deg))
    light = np.array([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)], np.float32)
    norm = np.sqrt(gx * gx + gy * gy + 1)
    ndotl = np.clip((-gx * light[0] - gy * light[1] + light[2]) / norm, 0, 1)
    cavity = np.clip((cv2.GaussianBlur(z, (0, 0), 3) - z) / max(D, 1e-3), 0, 1)
    # The sole curves away from the camera towards its edges and toe (toe spring).
    edge_dist = cv2.distanceTransform(outline.inside.astype(np.uint8), cv2.DIST_L2, 3)
    curvature = 0.72 + 0.28 * np.clip(edge_dist / (0.06 * H), 0, 1)
    curvature *= 1 - 0.15 * np.clip((0.12 - outline.v) / 0.12, 0, 1)
    return (0.35 + 0.75 * ndotl) * (1 - 0.7 * cavity) * curvature, ndotl, cavity


def _worn_albedo(tread: Tread, wear: Wear, outsole: Outsole, worn: WornLook, rng: np.random.Generator,
                 rubbers: Sequence[str]) -> tuple[np.ndarray, str, np.ndarray]:
    """Rubber colours by material, abrasion tints and scuff streaks along the slip; (albedo, rubber, midsole colour)."""
    H, W = tread.height.shape
    d, frac = wear.depth_mm, wear.fraction
    names = list(rubbers)
    probs = np.array([RUBBER[n][1] for n in names])
    name = names[int(rng.choice(len(names), p=probs / probs.sum()))]
    main = _jitter(RUBBER[name][0], rng)
    second = _jitter(RUBBER[names[int(rng.integers(len(names)))]][0], rng)
    midsole = _jitter(MIDSOLE[int(rng.integers(len(MIDSOLE)))], rng, 8)
    albedo = np.empty((H, W, 3), np.float32)
    albedo[:] = main
    albedo[tread.material == SECOND_RUBBER] = second
    albedo[tread.material == MIDSOLE_POCKET] = midsole * 0.92
    luminance = albedo.mean(axis=2, keepdims=True)
    dust = _jitter((150, 142, 128), rng, 10)
    # Abraded rubber changes colour the shoe's worn way: dusty and matte (dark rubber lightens,
    # light rubber greys), darker, or not at all. The skin goes first (scuff, by depth in mm),
    # the bulk of the tread later (by fraction).
    scuff = _scuff(d, rng.uniform(*outsole.skin_mm), outsole.scuff_exponent)
    tint = np.where(luminance < 0.45, 0.45, 0.3) * frac[..., None] ** 0.8 + rng.uniform(*outsole.scuff_tint) * scuff[..., None]
    tint = np.clip(tint, 0, 0.7)
    if worn.kind == "dusty":
        albedo = albedo * (1 - tint) + dust * tint
    elif worn.kind == "grimy":
        albedo = albedo * (1 - tint * (1 - worn.grime_keep))
    # bare: the rubbed rubber keeps its colour
    streaks = cv2.GaussianBlur(rng.standard_normal((H, W)).astype(np.float32), (0, 0), sigmaX=0.7, sigmaY=4)
    albedo *= (1 + 0.25 * np.maximum(frac, 0.4 * scuff) * streaks)[..., None]
    albedo *= (1 + 0.04 * rng.standard_normal((H, W)).astype(np.float32))[..., None]
    # Worn through the outsole: midsole foam shows at the deepest points.
    through = np.clip((d - (tread.depth_mm + tread.base_mm)) / 0.6, 0, 1)[..., None]
    return albedo * (1 - through) + midsole * through, name, midsole


def _dirty(albedo: np.ndarray, shade: np.ndarray, cavity: np.ndarray, inside: np.ndarray, dirt: float,
           rng: np.random.Generator) -> np.ndarray:
    """Dirt settles in grooves and small stones get stuck in them (`shade` is lit where a stone sits)."""
    H, W = inside.shape
    blotch = _noise(rng, (H, W), 6) + 0.6 * _noise(rng, (H, W), 1.5)
    amount = np.clip((cavity * 2.5 + 0.3 * blotch - (1 - dirt)) * dirt * 1.6, 0, 0.85)[..., None]
    albedo = albedo * (1 - amount) + _jitter(DIRT[int(rng.integers(len(DIRT)))], rng, 10) * amount
    for _ in range(int(rng.integers(0, 1 + 8 * dirt))):
        ys, xs = np.nonzero((cavity > 0.3) & inside)
        if len(ys) == 0:
            break
        k = int(rng.integers(len(ys)))
        stone = np.zeros((H, W), np.uint8)
        cv2.ellipse(stone, (int(xs[k]), int(ys[k])), (int(rng.integers(2, 5)), int(rng.integers(2, 4))), float(rng.uniform(0, 180)), 0, 360, 255, -1)
        albedo[stone > 0] = _jitter((125, 120, 110), rng, 25)
        shade[stone > 0] = 1.05
    return albedo


def _rim_and_upper(rgb: np.ndarray, inside: np.ndarray, midsole: np.ndarray, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The midsole rim around the outsole and a sliver of the upper beyond it; (sole mask, alpha)."""
    inside_u8 = inside.astype(np.uint8)
    rim_px, upper_px = int(rng.integers(2, 7)), int(rng.integers(0, 9))
    sole = cv2.dilate(inside_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim_px + 1,) * 2)) > 0
    rim = sole & ~inside
    dist = cv2.distanceTransform(sole.astype(np.uint8), cv2.DIST_L2, 3)  # to the outer edge
    rim_shade = np.clip(0.55 + 0.45 * dist / max(rim_px, 1), 0.5, 1.0)
    rgb[rim] = (midsole * rim_shade[rim][:, None]) * (1 + 0.03 * rng.standard_normal((int(rim.sum()), 1)))
    alpha = sole.astype(np.float32)
    if upper_px > 0:
        upper = cv2.dilate(sole.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * upper_px + 1,) * 2)) > 0
        band = upper & ~sole
        fabric = _jitter(UPPER[int(rng.integers(len(UPPER)))], rng, 10)
        weave = 1 + 0.08 * rng.standard_normal((int(band.sum()), 1)).astype(np.float32)
        rgb[band] = np.clip(fabric * 0.8 * weave, 0, 1)
        alpha = np.maximum(alpha, upper.astype(np.float32))
    return sole, cv2.GaussianBlur(alpha, (0, 0), 0.7)


def render_sole(outline: Outline, tread: Tread, wear: Wear, dirt: float, outsole: Outsole, worn: WornLook,
                rng: np.random.Generator, rubbers: Sequence[str] = tuple(RUBBER),
                light_elevation_deg: tuple[float, float] = (30.0, 70.0)) -> SoleLook:
    """Light the worn height map and paint it (rubber colours and light height drawn from the given ranges).

    The steps draw from `rng` in a fixed order, so a shoe seed always gives the same sole.
    """
    shade, ndotl, cavity = _shading(outline, tread, wear, rng, light_elevation_deg)
    albedo, name, midsole = _worn_albedo(tread, wear, outsole, worn, rng, rubbers)
    if dirt > 0.02:
        albedo = _dirty(albedo, shade, cavity, outline.inside, dirt, rng)
    # Polished sheen on flattened rubber.
    rgb = np.clip(albedo * shade[..., None] + (0.12 * wear.fraction * ndotl)[..., None], 0, 1)
    sole, alpha = _rim_and_upper(rgb, outline.inside, midsole, rng)
    return SoleLook(rgb.astype(np.float32), alpha, sole, name, worn.kind)
