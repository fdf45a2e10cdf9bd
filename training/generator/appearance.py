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

Which way the rubbed rubber changes colour is the shoe's *worn tone*, a
continuous draw per shoe (`sample_worn_look`) from darker (grime pressed into
the roughened surface) through unchanged (only relief, streaks and polish
show) to dustier (dark rubber lightens, light rubber greys). The three named
looks are bands of that tone, so a leave-style-out split can hold some out
and the model card can render the same soles in each. Real compounds do all
of it; a model that leaned on one colour rule read real soles wrongly.

The relief is lit in `relief.py`, the sidewall and upper around the outsole
are drawn in `sidewall.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from training.generator.outline import Outline
from training.generator.relief import LIGHT_ELEVATION_DEG, Light, light_relief
from training.generator.settings import WORN_LOOKS, Outsole
from training.generator.sidewall import PAD, Sidewall, paint_sides, sample_sidewall
from training.generator.tread import FOAM, SECOND_RUBBER, SHANK, Tread
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
SHANK_PLASTIC = [(30, 30, 35), (200, 40, 40), (40, 90, 200), (230, 200, 40), (150, 150, 160), (60, 180, 170)]
DIRT = [(110, 90, 65), (140, 125, 100), (90, 85, 80), (160, 150, 130)]


#: Where on the continuous worn tone (-1 darker .. +1 dustier) each named worn look lies.
TONE_BANDS = {"grimy": (-1.0, -1 / 3), "bare": (-1 / 3, 1 / 3), "dusty": (1 / 3, 1.0)}


@dataclass(frozen=True)
class WornLook:
    kind: str            # a key of settings.WORN_LOOKS (configs/generator.yaml outsole.worn_look)
    grime_keep: float    # darkening: rubbed rubber is mixed towards this share of its own brightness
    tone: float = 1.0    # -1 (rubbed rubber darkens) .. 0 (keeps its colour) .. 1 (lightens towards dust)

    def __post_init__(self) -> None:
        if self.kind not in WORN_LOOKS:
            raise ValueError(f"unknown worn look {self.kind!r}; known: {list(WORN_LOOKS)}")
        low, high = TONE_BANDS[self.kind]
        if not low <= self.tone <= high:
            raise ValueError(f"a {self.kind} look has a tone in [{low:.2f}, {high:.2f}], not {self.tone}")


@dataclass(frozen=True)
class LookParams:
    """Every colour, light and view choice of one sole, drawn before any pixel (so tests can check them cheaply)."""

    rubber: str          # main rubber colour (a key of RUBBER)
    second_rubber: str
    foam: int            # index into MIDSOLE
    upper: int           # index into UPPER
    light: Light
    sidewall: Sidewall
    colours: dict[str, np.ndarray]   # jittered RGB in [0, 1]: main, second, foam, upper, shank, dust, dirt


@dataclass(frozen=True)
class SoleLook:
    rgb: np.ndarray      # (H, W, 3) float32 in [0, 1], canonical frame padded by `pad` on every side
    alpha: np.ndarray    # (H, W) float32 coverage of sole + visible upper
    sole: np.ndarray     # (H, W) bool: outsole + midsole sidewall (the sole mask)
    drawn: LookParams    # the colours, light and view it was rendered with
    worn: WornLook       # how its rubbed rubber changed colour
    pad: int = PAD       # grid pixels added on every side (the wear map must be padded alike)

    @property
    def rubber_colour(self) -> str:
        return self.drawn.rubber

    @property
    def worn_look(self) -> str:
        return self.worn.kind


def sample_worn_look(outsole: Outsole, rng: np.random.Generator, looks: dict[str, float] | None = None) -> WornLook:
    """Which way this shoe's abraded rubber changes colour; its own stream, so it never sees the class.

    A named look picks a band of the continuous tone and the tone is drawn inside
    it, so colour change is a continuum (real compounds lighten, darken or keep
    their colour by any amount). `looks` (look -> weight) replaces the configured
    draw (a leave-style-out style).
    """
    looks = outsole.worn_look if looks is None else looks
    kinds = list(looks)
    p = np.array([looks[k] for k in kinds], np.float64)
    kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
    return WornLook(kind, float(rng.uniform(*outsole.grime_keep)), float(rng.uniform(*TONE_BANDS[kind])))


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator, amount: float = 12) -> np.ndarray:
    return np.clip(np.array(rgb, np.float32) + rng.normal(0, amount, 3), 0, 255) / 255


def sample_look(rng: np.random.Generator, rubbers: Sequence[str] = tuple(RUBBER),
                light_elevation_deg: tuple[float, float] = LIGHT_ELEVATION_DEG) -> LookParams:
    """The sole's colours (rubbers from `rubbers`), light and view, from the shoe's appearance stream."""
    names = list(rubbers)
    probs = np.array([RUBBER[n][1] for n in names])
    name = names[int(rng.choice(len(names), p=probs / probs.sum()))]
    # A second compound is most often a neutral (grey or black carbon rubber beside a coloured one).
    neutral = [n for n in names if n in ("black", "charcoal", "grey", "white")]
    pool = neutral if neutral and rng.random() < 0.6 else names
    second = pool[int(rng.integers(len(pool)))]
    foam, upper = int(rng.integers(len(MIDSOLE))), int(rng.integers(len(UPPER)))
    light = Light(float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(*light_elevation_deg)),
                  float(rng.uniform(0.15, 0.6)), float(rng.uniform(0.0, 0.5)))
    colours = {"main": _jitter(RUBBER[name][0], rng), "second": _jitter(RUBBER[second][0], rng),
               "foam": _jitter(MIDSOLE[foam], rng, 8), "upper": _jitter(UPPER[upper], rng, 10),
               "shank": _jitter(SHANK_PLASTIC[int(rng.integers(len(SHANK_PLASTIC)))], rng, 10),
               "dust": _jitter((150, 142, 128), rng, 10), "dirt": _jitter(DIRT[int(rng.integers(len(DIRT)))], rng, 10)}
    return LookParams(name, second, foam, upper, light, sample_sidewall(rng), colours)


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    return cv2.GaussianBlur(n, (0, 0), sigma) * sigma if sigma > 0 else n


def _scuff(depth_mm: np.ndarray, skin_mm: float, exponent: float) -> np.ndarray:
    """How much of the moulded finish is rubbed off (0..1): a power of the depth lost, all of it at `skin_mm`."""
    return np.clip(depth_mm / skin_mm, 0, 1).astype(np.float32) ** exponent


def _worn_albedo(tread: Tread, wear: Wear, scuff: np.ndarray, outsole: Outsole, worn: WornLook, look: LookParams,
                 rng: np.random.Generator) -> np.ndarray:
    """Rubber and foam colours by material, the worn tone and scuff streaks along the slip."""
    H, W = tread.height.shape
    d, frac, c = wear.depth_mm, wear.fraction, look.colours
    albedo = np.empty((H, W, 3), np.float32)
    albedo[:] = c["main"]
    albedo[tread.material == SECOND_RUBBER] = c["second"]
    foam = tread.material == FOAM
    albedo[foam] = c["foam"] * (0.92 + 0.05 * _noise(rng, (H, W), 0.8)[foam][:, None])   # pebbled foam skin
    albedo[tread.material == SHANK] = c["shank"]
    luminance = albedo.mean(axis=2, keepdims=True)
    # Abraded rubber changes colour the shoe's worn way, by the shoe's tone: towards dust (dark rubber lightens,
    # light rubber greys), darker, or hardly at all. The skin goes first (scuff, by depth in mm), the bulk of the
    # tread later (by fraction).
    tint = np.where(luminance < 0.45, 0.45, 0.3) * frac[..., None] ** 0.8 + rng.uniform(*outsole.scuff_tint) * scuff[..., None]
    tint = np.clip(tint, 0, 0.7) * abs(worn.tone)
    if worn.tone >= 0:
        albedo = albedo * (1 - tint) + c["dust"] * tint
    else:
        albedo = albedo * (1 - tint * (1 - worn.grime_keep))
    streaks = cv2.GaussianBlur(rng.standard_normal((H, W)).astype(np.float32), (0, 0), sigmaX=0.7, sigmaY=4)
    albedo *= (1 + 0.25 * np.maximum(frac, 0.4 * scuff) * streaks)[..., None]
    albedo *= (1 + 0.04 * rng.standard_normal((H, W)).astype(np.float32))[..., None]
    # Worn through the outsole: midsole foam shows at the deepest points.
    through = np.clip((d - (tread.depth_mm + tread.base_mm)) / 0.6, 0, 1)[..., None]
    return albedo * (1 - through) + c["foam"] * through


def _dirty(albedo: np.ndarray, shade: np.ndarray, cavity: np.ndarray, inside: np.ndarray, dirt: float,
           colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dirt settles in grooves and small stones get stuck in them (`shade` is lit where a stone sits)."""
    H, W = inside.shape
    blotch = _noise(rng, (H, W), 6) + 0.6 * _noise(rng, (H, W), 1.5)
    amount = np.clip((cavity * 2.5 + 0.3 * blotch - (1 - dirt)) * dirt * 1.6, 0, 0.85)[..., None]
    albedo = albedo * (1 - amount) + colour * amount
    stones = int(rng.integers(0, 1 + 8 * dirt))
    ys, xs = np.nonzero((cavity > 0.3) & inside)   # where a stone can lodge
    for _ in range(stones if len(ys) else 0):
        k = int(rng.integers(len(ys)))
        stone = np.zeros((H, W), np.uint8)
        cv2.ellipse(stone, (int(xs[k]), int(ys[k])), (int(rng.integers(2, 5)), int(rng.integers(2, 4))), float(rng.uniform(0, 180)), 0, 360, 255, -1)
        albedo[stone > 0] = _jitter((125, 120, 110), rng, 25)
        shade[stone > 0] = 1.05
    return albedo


def render_sole(outline: Outline, tread: Tread, wear: Wear, dirt: float, outsole: Outsole, worn: WornLook,
                rng: np.random.Generator, rubbers: Sequence[str] = tuple(RUBBER),
                light_elevation_deg: tuple[float, float] = LIGHT_ELEVATION_DEG) -> SoleLook:
    """Light the worn height map and paint it (rubber colours and light height drawn from the given ranges).

    The steps draw from `rng` in a fixed order, so a shoe seed always gives the same sole.
    """
    look = sample_look(rng, rubbers, light_elevation_deg)
    scuff = _scuff(wear.depth_mm, rng.uniform(*outsole.skin_mm), outsole.scuff_exponent)
    lit = light_relief(outline, tread, wear, look.light, scuff)
    albedo = _worn_albedo(tread, wear, scuff, outsole, worn, look, rng)
    if dirt > 0.02:
        albedo = _dirty(albedo, lit.shade, lit.cavity, outline.inside, dirt, look.colours["dirt"], rng)
    # Polished sheen on flattened rubber, the moulded finish's sheen on unworn rubber.
    rgb = albedo * lit.shade[..., None] + (0.12 * wear.fraction * lit.ndotl + lit.sheen)[..., None]
    rgb = np.pad(np.clip(rgb, 0, 1), ((PAD, PAD), (PAD, PAD), (0, 0)))
    inside, v = (np.pad(a, PAD, mode=m) for a, m in ((outline.inside, "constant"), (outline.v, "edge")))
    sole, alpha = paint_sides(rgb, inside, v, look.sidewall, look.colours["foam"], look.colours["upper"], rng)
    return SoleLook(rgb.astype(np.float32), alpha, sole, look, worn)
