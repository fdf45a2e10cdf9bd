"""The midsole sidewall and the upper around the outsole, as a camera not quite square to the sole sees them.

A shoe is not a flat cut-out: its midsole is a slab two to four centimetres
thick (thicker under the heel), and the upper sits on top. Seen from a little
off the sole's axis, the sidewall shows as a band on one side that is wider
where the stack is higher, with the upper's fabric beyond it; seen square on,
only a thin bevelled rim shows. The band is drawn by sweeping the outline
along the view's tilt, one pixel at a time, so its width follows the stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Pixels added on every side of the canonical grid so the sidewall and upper fit.
PAD = 24


@dataclass(frozen=True)
class Sidewall:
    reach_px: float     # how far the sidewall shows at the forefoot (grid pixels; 0 = camera square on)
    heel_rise: float    # how much further it shows under the heel (higher stack)
    angle: float        # direction of the view's tilt in the canonical frame (radians)
    rim_px: int         # the bevel seen all round
    upper_px: int       # how far the upper rises beyond the sidewall (on the side the camera leans to)
    stripe: float       # where a moulded line runs along the sidewall (share of its height), 0 = none


def sample_sidewall(rng: np.random.Generator) -> Sidewall:
    """How much of the shoe's side the photo shows; its own draws, never the class."""
    reach = float(rng.choice([0.0, rng.uniform(1, 6), rng.uniform(6, 14)], p=[0.25, 0.4, 0.35]))
    return Sidewall(reach, float(rng.uniform(0.2, 0.8)), float(rng.uniform(0, 2 * np.pi)), int(rng.integers(1, 4)),
                    int(rng.integers(0, 14)), float(rng.choice([0.0, rng.uniform(0.3, 0.7)])))


def _disc(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)


def _shifted(a: np.ndarray, dx: int, dy: int, fill: float) -> np.ndarray:
    """`a` moved by whole pixels (dx right, dy down), `fill` where nothing moved in."""
    out = np.full_like(a, fill)
    h, w = a.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = a[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def sweep(inside: np.ndarray, v: np.ndarray, wall: Sidewall) -> np.ndarray:
    """What the slab above the outsole shows at each pixel: 0..1 up the sidewall, 1..2 up the upper, -1 nothing.

    The outline is swept along the view's tilt, far layers first so the nearest
    layer of each pixel wins; the upper rises beyond the sidewall on the same
    side, so a square-on photo shows neither and an oblique one shows both.
    """
    reach = (wall.reach_px * (1 + wall.heel_rise * np.clip(v, 0, 1)) * inside).astype(np.float32)
    upper = wall.upper_px * min(1.0, wall.reach_px / 3)
    height = np.full(inside.shape, -1.0, np.float32)
    dx, dy = np.cos(wall.angle), np.sin(wall.angle)
    for t in range(int(np.ceil(reach.max() + upper)), 0, -1):
        moved_reach = _shifted(reach, int(round(t * dx)), int(round(t * dy)), 0.0)
        layer = (moved_reach > 0) & (moved_reach + upper >= t)
        wall_share = t / np.maximum(moved_reach, 1e-3)
        upper_share = 1 + np.clip((t - moved_reach) / max(upper, 1e-3), 0, 1)
        height[layer] = np.where(wall_share <= 1, wall_share, upper_share)[layer]
    rim = cv2.dilate(inside.astype(np.uint8), _disc(wall.rim_px)) > 0
    height[rim & (height < 0)] = 0.3
    height[inside] = -1.0
    return height


def paint_sides(rgb: np.ndarray, inside: np.ndarray, v: np.ndarray, wall: Sidewall, foam: np.ndarray,
                upper: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Paint the sidewall (foam) and the upper around the outsole; returns (sole mask, coverage alpha)."""
    side = sweep(inside, v, wall)
    on_wall, on_upper = (side >= 0) & (side <= 1), side > 1
    grain = 1 + 0.025 * rng.standard_normal(side.shape).astype(np.float32)
    # The wall turns away from the camera as it rises: lit near the outsole, darker towards the upper.
    tone = (0.95 - 0.35 * np.clip(side, 0, 1)) * grain
    if wall.stripe > 0:
        tone = np.where(np.abs(side - wall.stripe) < 0.06, tone * 0.7, tone)
    rgb[on_wall] = foam * tone[on_wall][:, None]
    weave = 1 + 0.1 * cv2.GaussianBlur(rng.standard_normal(side.shape).astype(np.float32), (0, 0), 0.6)
    rgb[on_upper] = np.clip(upper * (0.85 - 0.3 * (side[on_upper] - 1)) [:, None] * weave[on_upper][:, None], 0, 1)
    sole = inside | on_wall
    if wall.upper_px > 0:   # a sliver of the upper shows all round, more on the side the camera leans to
        band = (cv2.dilate(sole.astype(np.uint8), _disc(max(1, wall.upper_px // 4))) > 0) & ~sole & ~on_upper
        rgb[band] = upper * 0.7
        on_upper |= band
    alpha = (sole | on_upper).astype(np.float32)
    return sole, cv2.GaussianBlur(alpha, (0, 0), 0.7)
