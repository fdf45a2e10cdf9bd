"""Abrasion physics: pressure x slip along the centre-of-pressure path.

Each step of the path presses a contact patch onto the sole; rubber is lost in
proportion to pressure times slip (Archard-style abrasion), scaled by mileage,
body mass and the surface. The result is a depth map in millimetres; zone
scores and severity are then *measured* on it, never assigned.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inference.taxonomy import load_taxonomy
from inference.zones import zone_index_map, zone_means
from training.generator.gait import Gait
from training.generator.outline import GRID_H, GRID_W, SOLE_PX, Outline, uv_to_xy
from training.generator.tread import GROUND_FREE, Tread

COARSE = 4            # abrasion is smooth: simulate it on a 4x coarser grid
STEPS_PER_SEGMENT = 8
BASE_CONTACT = 0.07   # light wear everywhere the sole meets the ground


@dataclass(frozen=True)
class Wear:
    depth_mm: np.ndarray   # (H, W) rubber removed from the contact surface
    fraction: np.ndarray   # (H, W) depth lost / tread depth, clipped to [0, 1]
    rubber: np.ndarray     # (H, W) bool, pixels of outsole rubber
    zone_map: np.ndarray   # (H, W) zone index or -1
    zones: np.ndarray      # (7,) mean fraction per zone, taxonomy order
    severity: float


def _path(points: np.ndarray) -> np.ndarray:
    """Densify the five control points into a smooth path (Catmull-Rom)."""
    p = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, STEPS_PER_SEGMENT, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    out.append(points[-1:])
    return np.vstack(out)


def _low_freq_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int = 6) -> np.ndarray:
    small = rng.standard_normal((cells * 2, cells)).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def abrasion_field(outline: Outline, gait: Gait, rng: np.random.Generator) -> np.ndarray:
    """Relative abrasion (unitless) on the full grid, before mileage scaling."""
    h, w = GRID_H // COARSE, GRID_W // COARSE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    path = _path(gait.points)
    px, py = uv_to_xy(outline, np.clip(path[:, 0], 0, 1), np.clip(path[:, 1], 0, 1))
    rows = np.clip(py.astype(int), 0, GRID_H - 1)
    local_width = outline.lateral_x[rows] - outline.medial_x[rows]
    acc = np.zeros((h, w), np.float32)
    for x0, y0, width, load, slip in zip(px / COARSE, py / COARSE, local_width / COARSE, path[:, 2], path[:, 3]):
        if load * slip <= 1e-4:
            continue
        sx = max(0.16 * width, 1.5)
        sy = 0.045 * SOLE_PX / COARSE
        acc += float(load * slip) * np.exp(-0.5 * (((xx - x0) / sx) ** 2 + ((yy - y0) / sy) ** 2))
    acc /= STEPS_PER_SEGMENT
    acc = cv2.resize(acc, (GRID_W, GRID_H), interpolation=cv2.INTER_CUBIC)

    # Light contact everywhere, except the arch unless it flattens onto the ground.
    v, u = outline.v, outline.u
    arch = np.exp(-(((v - 0.53) / 0.09) ** 2)) * np.clip(1.2 - 2.0 * u, 0, 1)
    base = BASE_CONTACT * (1 - arch * (1 - gait.arch_contact))
    field = (acc + base) * (1 + 0.18 * _low_freq_noise(rng, (GRID_H, GRID_W)))
    return np.clip(field, 0, None) * outline.inside


def simulate_wear(outline: Outline, tread: Tread, gait: Gait, abrasion_mm: float, rng: np.random.Generator) -> Wear:
    """Depth lost (mm) after the runner's mileage, and the zone scores measured on it."""
    scale = abrasion_mm * (gait.mileage_km / 500) * (gait.body_mass_kg / 70) * gait.abrasion
    depth = abrasion_field(outline, gait, rng) * scale
    rubber = outline.inside & ~np.isin(tread.material, GROUND_FREE)
    depth = np.where(rubber, depth, 0).astype(np.float32)
    fraction = np.clip(depth / tread.depth_mm, 0, 1).astype(np.float32)
    taxonomy = load_taxonomy()
    zone_map = zone_index_map(outline.u, outline.v, rubber, taxonomy)
    zones = zone_means(fraction, zone_map, len(taxonomy.zones))
    severity = float(np.quantile(fraction[rubber], taxonomy.severity_quantile)) if rubber.any() else 0.0
    return Wear(depth, fraction, rubber, zone_map, zones, severity)
