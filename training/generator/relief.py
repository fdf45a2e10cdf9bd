"""Lighting the worn relief: directional light of drawn hardness, cast shadows, cavities and sheen.

Real sole photos read as deep: grooves hold shadow on the side away from the
light, pod walls throw shadows onto the foam, the moulded finish of new rubber
shines and worn rubber is matte or polished. A model that never sees such
relief takes it for wear on a real photo. The height field is the tread after
wear (lug tops cut down to the receding contact plane, worn edges rounded),
so the same light shows both the construction and the wear.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from training.generator.outline import Outline
from training.generator.tread import Tread
from training.generator.wear import Wear

SHADOW_STEPS = 10     # how far (pixels) a cast shadow is traced towards the light
#: The light's elevation above the sole (degrees) over all styles; a leave-style-out style draws part of it.
LIGHT_ELEVATION_DEG = (30.0, 70.0)


@dataclass(frozen=True)
class Light:
    azimuth: float        # radians, in the canonical frame
    elevation_deg: float  # above the sole's plane
    ambient: float        # share of soft fill light: low = hard sun, high = overcast or a light box
    gloss: float          # sheen of the unworn moulded finish


@dataclass(frozen=True)
class Lit:
    shade: np.ndarray     # multiplies the albedo
    ndotl: np.ndarray     # lit share of each facet (for the polish on flattened rubber)
    cavity: np.ndarray    # how deep in a groove each pixel sits (dirt settles there)
    sheen: np.ndarray     # additive highlight of the moulded finish


def worn_relief(tread: Tread, wear: Wear) -> np.ndarray:
    """Height (mm) after wear: lug tops cut to the receding contact plane, worn edges rounded off."""
    D, d, frac = tread.depth_mm, wear.depth_mm, wear.fraction
    z = np.minimum(D * tread.height, D - d)
    return (1 - frac) * z + frac * np.minimum(z, cv2.GaussianBlur(z, (0, 0), 1.5))


def _cast_shadow(z: np.ndarray, light: Light, px_per_mm: float) -> np.ndarray:
    """Share of each pixel shaded by relief between it and the light (soft-edged height-field shadow)."""
    dx, dy = np.cos(light.azimuth), np.sin(light.azimuth)
    rise = np.tan(np.deg2rad(light.elevation_deg)) / px_per_mm     # mm the ray climbs per pixel
    shadow = np.zeros_like(z)
    for k in range(1, SHADOW_STEPS + 1):
        ahead = np.roll(z, (-int(round(k * dy)), -int(round(k * dx))), axis=(0, 1))
        shadow = np.maximum(shadow, np.clip((ahead - z - k * rise) / 0.3, 0, 1))
    return cv2.GaussianBlur(shadow, (0, 0), 0.8)


def light_relief(outline: Outline, tread: Tread, wear: Wear, light: Light, scuff: np.ndarray) -> Lit:
    """Shade, cast shadows, cavity and sheen of the worn relief under `light` (scuff: finish rubbed off, 0..1)."""
    H = outline.inside.shape[0]
    ppmm = outline.px_per_mm
    z = worn_relief(tread, wear)
    gx = cv2.Sobel(z, cv2.CV_32F, 1, 0, ksize=3) / 8 * ppmm
    gy = cv2.Sobel(z, cv2.CV_32F, 0, 1, ksize=3) / 8 * ppmm
    el = np.deg2rad(light.elevation_deg)
    lx, ly, lz = np.cos(light.azimuth) * np.cos(el), np.sin(light.azimuth) * np.cos(el), np.sin(el)
    norm = np.sqrt(gx * gx + gy * gy + 1)
    ndotl = np.clip((-gx * lx - gy * ly + lz) / norm, 0, 1)
    cavity = np.clip((cv2.GaussianBlur(z, (0, 0), 3) - z) / max(tread.depth_mm, 1e-3), 0, 1)
    shadow = _cast_shadow(z, light, ppmm)
    # The sole curves away from the camera towards its edges and toe (toe spring).
    edge_dist = cv2.distanceTransform(outline.inside.astype(np.uint8), cv2.DIST_L2, 3)
    curvature = 0.72 + 0.28 * np.clip(edge_dist / (0.06 * H), 0, 1)
    curvature *= 1 - 0.15 * np.clip((0.12 - outline.v) / 0.12, 0, 1)
    direct = 1.45 * ndotl * (1 - 0.85 * shadow)
    # Deep, narrow grooves see little of the sky and little of the lamp (ambient occlusion).
    shade = (light.ambient * (1 - 0.6 * cavity) + (1 - light.ambient) * direct * (1 - 0.5 * cavity)) * curvature
    # Blinn-Phong sheen seen from straight above: the half vector between light and view.
    hx, hy, hz = lx, ly, lz + 1
    h_norm = np.sqrt(hx * hx + hy * hy + hz * hz)
    ndoth = np.clip((-gx * hx - gy * hy + hz) / (norm * h_norm), 0, 1)
    sheen = light.gloss * (1 - scuff) * ndoth ** 30 * (1 - shadow)
    return Lit(shade.astype(np.float32), ndotl.astype(np.float32), cavity.astype(np.float32), sheen.astype(np.float32))
