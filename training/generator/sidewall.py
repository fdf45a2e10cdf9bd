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
    upper_px: int       # the upper beyond the sidewall
    stripe: float       # where a moulded line runs along the sidewall (share of its height), 0 = none


def sample_sidewall(rng: np.random.Generator) -> Sidewall:
    """How much of the shoe's side the photo shows; its own draws, never the class."""
    reach = float(rng.choice([0.0, rng.uniform(1, 6), rng.uniform(6, 14)], p=[0.25, 0.4, 0.35]))
    return Sidewall(reach, float(rng.uniform(0.2, 0.8)), float(rng.uniform(0, 2 * np.pi)), int(rng.integers(1, 4)),
                    int(rng.integers(0, 9)), float(rng.choice([0.0, rng.uniform(0.3, 0.7)])))


def _disc(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)


def sweep(inside: np.ndarray, v: np.ndarray, wall: Sidewall) -> np.ndarray:
    """Height along the sidewall (0 at the outsole edge .. 1 at the upper) of every pixel the slab covers; -1 elsewhere."""
    reach = wall.reach_px * (1 + wall.heel_rise * np.clip(v, 0, 1)) * inside
    steps = int(np.ceil(reach.max())) if wall.reach_px > 0 else 0
    height = np.full(inside.shape, -1.0, np.float32)
    dx, dy = np.cos(wall.angle), np.sin(wall.angle)
    for t in range(steps, 0, -1):      # far layers first, so the nearest layer of each pixel wins
        src = (reach >= t).astype(np.uint8)
        m = np.float32([[1, 0, t * dx], [0, 1, t * dy]])
        moved = cv2.warpAffine(src, m, src.shape[::-1], flags=cv2.INTER_NEAREST) > 0
        frac = cv2.warpAffine((t / np.maximum(reach, 1e-3)).astype(np.float32), m, src.shape[::-1], flags=cv2.INTER_NEAREST)
        height[moved] = np.clip(frac[moved], 0, 1)
    rim = cv2.dilate(inside.astype(np.uint8), _disc(wall.rim_px)) > 0
    height[rim & (height < 0)] = 0.3
    height[inside] = -1.0
    return height


def paint_sides(rgb: np.ndarray, inside: np.ndarray, v: np.ndarray, wall: Sidewall, foam: np.ndarray,
                upper: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Paint the sidewall (foam) and the upper around the outsole; returns (sole mask, coverage alpha)."""
    side = sweep(inside, v, wall)
    on_wall = side >= 0
    # The wall turns away from the camera as it rises: lit near the outsole, darker towards the upper.
    tone = (0.95 - 0.35 * side) * (1 + 0.025 * rng.standard_normal(side.shape).astype(np.float32))
    if wall.stripe > 0:
        tone = np.where(np.abs(side - wall.stripe) < 0.06, tone * 0.7, tone)
    rgb[on_wall] = foam * tone[on_wall][:, None]
    sole = inside | on_wall
    alpha = sole.astype(np.float32)
    if wall.upper_px > 0:
        around = cv2.dilate(sole.astype(np.uint8), _disc(wall.upper_px)) > 0
        band = around & ~sole
        weave = 1 + 0.08 * rng.standard_normal((int(band.sum()), 1)).astype(np.float32)
        rgb[band] = np.clip(upper * 0.8 * weave, 0, 1)
        alpha = np.maximum(alpha, around.astype(np.float32))
    return sole, cv2.GaussianBlur(alpha, (0, 0), 0.7)
