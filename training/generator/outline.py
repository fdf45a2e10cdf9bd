"""Sole outlines in the canonical frame (left shoe, from below, toe up).

An outline is a medial and a lateral edge as functions of `v` (0 = toe tip,
1 = heel end), so every row of the canonical grid knows where the sole starts
and ends; `u` is then the position between the two edges. This keeps the zone
split at the sole's local mid-line, as docs/conventions.md asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

#: Canonical grid the sole is simulated on (rows along the sole, columns across).
GRID_H, GRID_W = 448, 224
#: Rows above and below the sole tip / heel end.
V_MARGIN = 8
SOLE_PX = GRID_H - 2 * V_MARGIN

# Shape families: forefoot width / length, waist and heel width relative to the
# forefoot, arch cut-in, and how strongly the last curves inwards.
SHAPES: dict[str, dict[str, tuple[float, float]]] = {
    "road_trainer": {"forefoot": (0.36, 0.39), "waist": (0.66, 0.76), "heel": (0.70, 0.78), "arch": (0.12, 0.22), "curve": (0.026, 0.058)},
    "stability":    {"forefoot": (0.37, 0.40), "waist": (0.78, 0.88), "heel": (0.74, 0.82), "arch": (0.10, 0.16), "curve": (0.026, 0.042)},
    "trail":        {"forefoot": (0.36, 0.40), "waist": (0.70, 0.80), "heel": (0.72, 0.80), "arch": (0.12, 0.20), "curve": (0.026, 0.05)},
    "racing_flat":  {"forefoot": (0.33, 0.36), "waist": (0.52, 0.64), "heel": (0.62, 0.70), "arch": (0.20, 0.30), "curve": (0.05, 0.082)},
    "wide":         {"forefoot": (0.40, 0.44), "waist": (0.72, 0.82), "heel": (0.72, 0.80), "arch": (0.12, 0.20), "curve": (0.026, 0.05)},
    "narrow":       {"forefoot": (0.32, 0.345), "waist": (0.60, 0.70), "heel": (0.66, 0.74), "arch": (0.14, 0.24), "curve": (0.034, 0.066)},
}


@dataclass(frozen=True)
class Outline:
    """A sampled outline and the per-pixel canonical coordinates it induces."""

    shape: str
    length_mm: float
    medial_x: np.ndarray   # per row, x of the medial edge (pixels)
    lateral_x: np.ndarray  # per row, x of the lateral edge (pixels)
    u: np.ndarray          # (H, W) position across the sole, 0 medial .. 1 lateral
    v: np.ndarray          # (H, W) position along the sole, 0 toe .. 1 heel
    inside: np.ndarray     # (H, W) bool, the sole footprint

    @property
    def px_per_mm(self) -> float:
        return SOLE_PX / self.length_mm


def _u(lo_hi: tuple[float, float], rng: np.random.Generator) -> float:
    return float(rng.uniform(*lo_hi))


def sample_outline(rng: np.random.Generator, shape: str | None = None) -> Outline:
    """Draw a sole shape and size (EU 36-47, about 235-310 mm of sole)."""
    shape = shape or str(rng.choice(list(SHAPES)))
    p = SHAPES[shape]
    length_mm = float(rng.uniform(235, 310))
    forefoot = _u(p["forefoot"], rng)
    waist = forefoot * _u(p["waist"], rng)
    heel = forefoot * _u(p["heel"], rng)
    arch = _u(p["arch"], rng)
    curve = _u(p["curve"], rng)
    toe_bias = float(rng.uniform(0.15, 0.3))  # big-toe side reaches further forward
    ball_v = float(rng.uniform(0.24, 0.30))

    # Half-width profile (fraction of length) through control points along v.
    knots_v = np.array([0.0, 0.08, ball_v, 0.42, 0.56, 0.70, 0.84, 1.0])
    knots_w = np.array([0.55, 0.86, 1.0, 0.86, waist / forefoot, 0.9 * heel / forefoot, heel / forefoot, 0.9 * heel / forefoot])
    half = PchipInterpolator(knots_v, knots_w)

    rows = np.arange(GRID_H, dtype=np.float32)
    v_row = (rows - V_MARGIN) / SOLE_PX
    vc = np.clip(v_row, 0.0, 1.0)
    hw = half(vc) * forefoot / 2
    # Rounded toe cap and heel cup: elliptical envelopes at both ends.
    toe_cap, heel_cap = 0.12, 0.16
    env = np.sqrt(np.clip(1 - np.clip(1 - vc / toe_cap, 0, 1) ** 2, 0, 1)) * np.sqrt(
        np.clip(1 - np.clip(1 - (1 - vc) / heel_cap, 0, 1) ** 2, 0, 1)
    )
    hw = hw * env
    # Arch cut-in is mostly medial; the last curves the forefoot medially.
    arch_bump = np.exp(-(((vc - 0.55) / 0.11) ** 2))
    medial_hw = hw * (1 - arch * arch_bump)
    lateral_hw = hw * (1 - 0.1 * arch * arch_bump)  # the outer edge runs nearly straight
    centre = -curve * np.clip((0.55 - vc) / 0.55, 0, 1) - toe_bias * hw * np.clip(1 - vc / 0.14, 0, 1)
    medial_x = (centre - medial_hw) * SOLE_PX
    lateral_x = (centre + lateral_hw) * SOLE_PX
    # Centre the footprint's bounding box in the grid.
    shift = (GRID_W - (lateral_x.max() + medial_x.min())) / 2
    medial_x, lateral_x = medial_x + shift, lateral_x + shift
    outside_rows = (v_row < 0) | (v_row > 1)
    medial_x[outside_rows] = lateral_x[outside_rows] = GRID_W / 2

    cols = np.arange(GRID_W, dtype=np.float32)[None, :]
    width = np.maximum(lateral_x - medial_x, 1e-3)[:, None]
    u = (cols - medial_x[:, None]) / width
    v = np.broadcast_to(v_row[:, None], (GRID_H, GRID_W))
    inside = (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1) & (width > 0.5)
    return Outline(shape, length_mm, medial_x.astype(np.float32), lateral_x.astype(np.float32),
                   u.astype(np.float32), np.ascontiguousarray(v, dtype=np.float32), inside)


def uv_to_xy(outline: Outline, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical (u, v) -> grid pixel (x, y), following the outline's edges."""
    y = V_MARGIN + np.asarray(v) * SOLE_PX
    rows = np.arange(GRID_H)
    m = np.interp(y, rows, outline.medial_x)
    lat = np.interp(y, rows, outline.lateral_x)
    return m + np.asarray(u) * (lat - m), y
