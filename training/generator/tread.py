"""Tread families: the sole's unworn height map and its rubber materials.

Heights are in [0, 1] (1 = top of a lug, 0 = groove bottom) on the canonical
grid; feature sizes are in millimetres so a small shoe has the same lugs as a
large one. Every family is independent of the wear class, on purpose: a tread
that correlated with a class would be a shortcut for the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from training.generator.outline import GRID_H, GRID_W, Outline

FAMILIES = (
    "lugs", "chevrons", "waffle", "hexagons", "flex_grooves",
    "pivot_circles", "trail_lugs", "mixed_zones", "herringbone",
)

#: Material codes in the material map. FOAM: exposed midsole foam; SHANK: a moulded plastic plate under the arch.
#: Both are recessed: they never meet the ground, so they never wear (GROUND_FREE).
MAIN_RUBBER, SECOND_RUBBER, FOAM, SHANK = 0, 1, 2, 3
GROUND_FREE = (FOAM, SHANK)


@dataclass(frozen=True)
class Tread:
    family: str
    height: np.ndarray    # (H, W) float32 in [0, 1]
    material: np.ndarray  # (H, W) uint8 material codes
    depth_mm: float       # lug height above the groove bottom
    base_mm: float        # rubber under the grooves before the midsole shows


def soft_step(signed: np.ndarray, edge: float) -> np.ndarray:
    """Smooth step of a signed distance-like field: sloped lug walls, no aliasing."""
    return np.clip(0.5 + signed / max(edge, 1e-3), 0.0, 1.0)


def superellipse(u: np.ndarray, v: np.ndarray, cu: float, cv: float, ru: float, rv: float, power: float) -> np.ndarray:
    """Signed inside-ness of a superellipse in the sole's (u, v) (positive inside): pockets, pods, plates."""
    return 1 - (np.abs((u - cu) / ru) ** power + np.abs((v - cv) / rv) ** power)


def _mm_coords(outline: Outline, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    ppmm = outline.px_per_mm
    y, x = np.mgrid[0:GRID_H, 0:GRID_W].astype(np.float32)
    x, y = (x - GRID_W / 2) / ppmm, y / ppmm
    a = np.deg2rad(angle_deg)
    return x * np.cos(a) - y * np.sin(a), x * np.sin(a) + y * np.cos(a)


def _periodic(t: np.ndarray, period: float) -> np.ndarray:
    """Signed offset to the nearest lattice point of a 1-D lattice."""
    return (t + period / 2) % period - period / 2


def _lugs(x, y, rng, edge):
    px, py = rng.uniform(7, 18), rng.uniform(6, 16)
    fx, fy = rng.uniform(0.55, 0.8), rng.uniform(0.5, 0.78)
    shift = rng.uniform(0, 0.5) * px * (np.floor(y / py) % 2)
    dx = np.abs(_periodic(x + shift, px))
    dy = np.abs(_periodic(y, py))
    return soft_step(np.minimum(fx * px / 2 - dx, fy * py / 2 - dy), edge)


def _chevrons(x, y, rng, edge):
    period, fill, slope = rng.uniform(6, 11), rng.uniform(0.45, 0.7), rng.uniform(0.3, 0.9)
    s = y + slope * np.abs(x)
    return soft_step(fill * period / 2 - np.abs(_periodic(s, period)), edge)


def _waffle(x, y, rng, edge):
    p, r, n = rng.uniform(7, 16), rng.uniform(0.3, 0.42), rng.choice([2.0, 3.0, 4.0])
    dx, dy = _periodic(x, p) / p, _periodic(y + (np.floor(x / p) % 2) * p / 2, p) / p
    dist = (np.abs(dx) ** n + np.abs(dy) ** n) ** (1 / n)
    return soft_step((r - dist) * p, edge)


def _hexagons(x, y, rng, edge):
    s, fill = rng.uniform(4, 7), rng.uniform(0.55, 0.72)
    a, b = np.sqrt(3) * s, 3 * s
    best = None
    for ox, oy in ((0.0, 0.0), (a / 2, b / 2)):
        dx, dy = _periodic(x - ox, a), _periodic(y - oy, b)
        norm = np.maximum(np.abs(dy), np.abs(dx) * np.sqrt(3) / 2 + np.abs(dy) / 2)
        best = norm if best is None else np.minimum(best, norm)
    return soft_step(fill * s - best, edge)


def _flex_grooves(x, y, rng, edge):
    spacing, width = rng.uniform(10, 18), rng.uniform(1.2, 2.5)
    bend = rng.uniform(-0.15, 0.15)
    h = soft_step(np.abs(_periodic(y + bend * x * x / 10, spacing)) - width / 2, edge)
    h = np.minimum(h, soft_step(np.abs(x - rng.uniform(-5, 5)) - width / 2, edge))
    if rng.random() < 0.6:  # fine siping
        sipe = rng.uniform(2.5, 4)
        h = np.minimum(h, 0.35 + 0.65 * soft_step(np.abs(_periodic(y, sipe)) - 0.35, edge))
    return h


def _herringbone(x, y, rng, edge):
    period, amp, pitch = rng.uniform(5, 9), rng.uniform(1.5, 3.0), rng.uniform(2.5, 4.0)
    tri = np.abs(_periodic(x, period)) / period * 4 - 1
    return soft_step(0.3 * pitch - np.abs(_periodic(y + amp * tri, pitch)), edge)


def _pivot_circles(x, y, rng, edge, outline: Outline):
    from training.generator.outline import uv_to_xy

    h = _herringbone(x, y, rng, edge)
    ppmm = outline.px_per_mm
    centres = [(rng.uniform(0.25, 0.4), rng.uniform(0.22, 0.3))]
    if rng.random() < 0.6:
        centres.append((rng.uniform(0.4, 0.6), rng.uniform(0.82, 0.9)))
    yy, xx = np.mgrid[0:GRID_H, 0:GRID_W].astype(np.float32)
    for cu, cv in centres:
        cx, cy = uv_to_xy(outline, np.array(cu), np.array(cv))
        r = np.hypot(xx - cx, yy - cy) / ppmm
        radius, ring = rng.uniform(14, 22), rng.uniform(3, 5)
        rings = soft_step(0.3 * ring - np.abs(_periodic(r, ring)), edge)
        h = np.where(r < radius, np.maximum(rings, soft_step(2.5 - r, edge)), h)
    return h


def _trail_lugs(x, y, rng, edge):
    p = rng.uniform(9, 14)
    ix, iy = np.floor(x / p).astype(np.int32), np.floor(y / p).astype(np.int32)
    ix -= ix.min()
    iy -= iy.min()
    shape = (iy.max() + 1, ix.max() + 1)
    jx, jy = rng.uniform(-0.15, 0.15, shape) * p, rng.uniform(-0.15, 0.15, shape) * p
    ang = rng.uniform(0, np.pi, shape)
    half_w, half_l = rng.uniform(0.14, 0.22, shape) * p, rng.uniform(0.24, 0.36, shape) * p
    cx = (ix + 0.5) * p + x.min() - (x.min() % p) + jx[iy, ix]
    cy = (iy + 0.5) * p + y.min() - (y.min() % p) + jy[iy, ix]
    dx, dy = x - cx, y - cy
    c, s = np.cos(ang[iy, ix]), np.sin(ang[iy, ix])
    lx, ly = dx * c + dy * s, -dx * s + dy * c
    return soft_step(np.minimum(half_w[iy, ix] - np.abs(lx), half_l[iy, ix] - np.abs(ly)), edge)


def _logo(height: np.ndarray, outline: Outline, rng: np.random.Generator) -> np.ndarray:
    """A brand-like mark pressed into the midfoot or heel (it wears off like tread)."""
    mark = np.zeros((GRID_H, GRID_W), np.uint8)
    letters = "".join(rng.choice(list("ABEKMNORSTVXZ"), size=int(rng.integers(3, 7))))
    cx = int(np.mean(outline.medial_x[GRID_H // 2] + outline.lateral_x[GRID_H // 2]) / 2)
    cy = int(GRID_H * rng.choice([0.5, 0.58, 0.85]))
    if rng.random() < 0.5:
        scale = 0.4 + 0.1 * rng.random()
        (tw, th), _ = cv2.getTextSize(letters, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        cv2.putText(mark, letters, (cx - tw // 2, cy + th // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 2, cv2.LINE_AA)
    else:  # a swoosh-like arc
        axes = (int(rng.uniform(18, 32)), int(rng.uniform(6, 12)))
        cv2.ellipse(mark, (cx, cy), axes, float(rng.uniform(-30, 30)), 20, 200, 255, 3, cv2.LINE_AA)
    raised = rng.random() < 0.5
    m = mark.astype(np.float32) / 255
    return np.where(m > 0, (1 - m) * height + m * (1.0 if raised else 0.25), height)


def _family_height(family: str, outline: Outline, rng: np.random.Generator) -> np.ndarray:
    """One family's height map over the whole grid, at a drawn angle and wall softness."""
    x, y = _mm_coords(outline, float(rng.choice([0.0, 0.0, rng.uniform(-20, 20), 90.0])))
    edge = float(rng.uniform(0.5, 1.0))
    builders = {
        "lugs": _lugs, "chevrons": _chevrons, "waffle": _waffle, "hexagons": _hexagons,
        "flex_grooves": _flex_grooves, "herringbone": _herringbone, "trail_lugs": _trail_lugs,
        "mixed_zones": _waffle,
    }
    if family == "pivot_circles":
        return _pivot_circles(x, y, rng, edge, outline)
    return builders[family](x, y, rng, edge)


def _mould_finish(height: np.ndarray, outline: Outline, rng: np.random.Generator) -> np.ndarray:
    """Fine moulded texture on the lug tops (lines or stipple), over the whole sole or a patch.

    It stands a fraction of a millimetre proud, so the first kilometres rub it off
    where the runner loads the sole: the earliest honest sign of wear, and one a
    new sole shows everywhere.
    """
    x, y = _mm_coords(outline, float(rng.uniform(0, 180)))
    period = float(rng.uniform(0.8, 1.6))
    if rng.random() < 0.5:
        pattern = 0.5 + 0.5 * np.cos(2 * np.pi * y / period)
    else:
        pattern = (np.cos(2 * np.pi * x / period) * np.cos(2 * np.pi * y / period) > 0.3).astype(np.float32)
    region = np.ones_like(height)
    if rng.random() < 0.6:   # a patch under the ball or the heel only
        cv = rng.choice([0.25, 0.85])
        region = soft_step(0.12 - np.hypot(outline.u - 0.5, (outline.v - cv) * 2.5) * 0.4, 0.02)
    tops = np.clip((height - 0.7) / 0.3, 0, 1)
    return height - float(rng.uniform(0.06, 0.14)) * pattern * tops * region


def sample_tread(outline: Outline, rng: np.random.Generator, family: str | None = None,
                 families: tuple[str, ...] = FAMILIES) -> Tread:
    """Draw a tread family (from `families` unless one is given), its parameters, materials and depths.

    Often the heel carries another family than the forefoot, as on most running shoes.
    """
    family = family or str(rng.choice(families))
    height = _family_height(family, outline, rng)
    if rng.random() < 0.4:
        split = rng.uniform(0.5, 0.72)
        to_heel = soft_step((outline.v - split) * outline.length_mm, 4.0)
        height = (1 - to_heel) * height + to_heel * _family_height(str(rng.choice(families)), outline, rng)
    height = height.astype(np.float32)

    material = np.zeros((GRID_H, GRID_W), np.uint8)
    u, v = outline.u, outline.v
    if family == "mixed_zones" or rng.random() < 0.15:
        # Harder carbon rubber on the heel and ball, softer blown rubber elsewhere.
        heel = v > rng.uniform(0.68, 0.78)
        ball = ((u - rng.uniform(0.3, 0.6)) / rng.uniform(0.35, 0.6)) ** 2 + ((v - 0.27) / rng.uniform(0.08, 0.14)) ** 2 < 1
        pads = heel | ball
        material[~pads] = SECOND_RUBBER
    if rng.random() < 0.3:
        # Exposed, recessed midsole foam under the arch: it never touches the ground.
        cu, ru, rv = rng.uniform(0.35, 0.5), rng.uniform(0.2, 0.32), rng.uniform(0.08, 0.13)
        power = rng.uniform(2, 5)
        pocket = superellipse(u, v, cu, 0.53, ru, rv, power) > 0
        material[pocket] = FOAM
        height[pocket] = 0.0
    if rng.random() < 0.5:
        height = _logo(height, outline, rng)
    if rng.random() < 0.7:
        height = _mould_finish(height, outline, rng)

    height = cv2.GaussianBlur(height.astype(np.float32), (0, 0), 0.6)
    depth = float(rng.uniform(3.0, 5.0) if family == "trail_lugs" else rng.uniform(1.5, 3.5))
    return Tread(family, height, material, depth, float(rng.uniform(1.5, 3.5)))
