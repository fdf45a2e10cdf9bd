"""Augmentation that respects the labels.

Two parts. *Pose*: a random quarter turn and mirror of the canonical crop,
with the targets moved along - the orientation target turns with the image, a
mirror swaps the side and mirrors the zone targets medial <-> lateral (zones
are in the image frame with the toe up), and the wear class stays (it belongs
to the foot, not the picture). *Photometric*: albumentations colour, blur,
noise, JPEG, small perspective and erasing, which change no target.
"""

from __future__ import annotations

from dataclasses import dataclass

import albumentations as A
import cv2
import numpy as np

from inference.preprocess import apply_pose
from inference.taxonomy import load_taxonomy


@dataclass(frozen=True)
class Targets:
    label: int
    side: int                 # index in taxonomy.sides
    orientation: int          # index in taxonomy.orientations
    zones: np.ndarray | None  # zone scores + severity (image frame, toe up)


def zone_mirror_permutation() -> np.ndarray:
    """Index map that mirrors zone targets medial <-> lateral (severity stays last)."""
    tax = load_taxonomy()
    perm = [tax.zone_ids.index(tax.mirror_zone(z)) for z in tax.zone_ids]
    return np.array(perm + [len(perm)])


def pose_view(canonical: np.ndarray, targets: Targets, turns: int, mirror: bool) -> tuple[np.ndarray, Targets]:
    """Show a canonical (left, toe-up) crop in another pose and relabel it accordingly."""
    sides = load_taxonomy().sides
    side = sides[1 - targets.side] if mirror else sides[targets.side]
    image = apply_pose(canonical, turns, "right" if mirror else "left")
    zones = targets.zones
    if mirror and zones is not None:
        zones = zones[zone_mirror_permutation()]
    return image, Targets(targets.label, sides.index(side) if mirror else targets.side, turns % 4, zones)


def photometric(strength: float = 1.0) -> A.Compose:
    """Photo-quality changes a phone camera makes; none of them moves a target."""
    s = strength
    return A.Compose([
        A.Affine(rotate=(-12, 12), scale=(0.92, 1.08), translate_percent=(-0.04, 0.04), border_mode=cv2.BORDER_CONSTANT, fill=128, p=0.6),
        A.Perspective(scale=(0.02, 0.06), border_mode=cv2.BORDER_CONSTANT, fill=128, p=0.3),
        A.ColorJitter(brightness=0.3 * s, contrast=0.3 * s, saturation=0.4 * s, hue=0.06 * s, p=0.8),
        A.RGBShift(r_shift_limit=20, g_shift_limit=20, b_shift_limit=20, p=0.3),
        A.OneOf([A.GaussianBlur(sigma_limit=(0.3, 1.5)), A.MotionBlur(blur_limit=(3, 7))], p=0.3),
        A.GaussNoise(std_range=(0.01, 0.06), p=0.3),
        A.ImageCompression(quality_range=(30, 95), p=0.4),
        A.CoarseDropout(num_holes_range=(1, 3), hole_height_range=(0.05, 0.15), hole_width_range=(0.05, 0.15), fill=128, p=0.3),
    ])
