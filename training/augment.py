"""Augmentation that respects the labels.

Two parts. *Pose*: a random quarter turn and mirror of the canonical crop,
with the targets moved along - the orientation target turns with the image, a
mirror swaps the side and mirrors the zone targets medial <-> lateral (zones
are in the image frame with the toe up), and the wear class stays (it belongs
to the foot, not the picture). *Geometric*: a small turn, shift, zoom and
perspective warp, only for views whose targets it cannot falsify (see
`turn_room`); the whole-photo scene views carry their box and pose targets in
their own pixels and keep their geometry. *Photometric*: albumentations colour,
blur, noise, JPEG and erasing, which change no target.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import albumentations as A
import cv2
import numpy as np

from inference.preprocess import apply_pose
from inference.taxonomy import load_taxonomy, off_quarter_deg


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


MAX_TURN_DEG = 12     # the largest extra in-plane turn a crop is given
TURN_MARGIN_DEG = 4   # kept free for the perspective warp, which tilts the sole's edges a little too


def turn_room(rotation_deg: float | None) -> int:
    """How many degrees a crop may be turned without its toe crossing a quarter-turn boundary.

    The orientation target is the quarter turn nearest to the photo's toe: a
    sole photographed 40 degrees clockwise from up is "toe up", and turned a
    further 12 degrees it would be "toe right" under an unchanged target. Such
    label noise blurs exactly the boundary the orientation head must draw near
    the diagonals. Unknown rotations (real photos) are taken as aligned.
    """
    if rotation_deg is None:
        return MAX_TURN_DEG
    return int(np.clip(45 - off_quarter_deg(rotation_deg) - TURN_MARGIN_DEG, 0, MAX_TURN_DEG))


@lru_cache(maxsize=None)
def geometric(max_turn: int) -> A.Compose:
    """Camera framing a little different: turn (at most `max_turn` degrees), shift, zoom, perspective.

    Moves a mask passed along (the wear map); no other target is moved, so
    only views whose remaining targets survive it get it.
    """
    return A.Compose([
        A.Affine(rotate=(-max_turn, max_turn), scale=(0.92, 1.08), translate_percent=(-0.04, 0.04),
                 border_mode=cv2.BORDER_CONSTANT, fill=128, p=0.6),
        A.Perspective(scale=(0.02, 0.06), border_mode=cv2.BORDER_CONSTANT, fill=128, p=0.3),
    ])


def photometric(strength: float = 1.0) -> A.Compose:
    """Photo-quality changes a phone camera makes; none of them moves a pixel or a target."""
    s = strength
    return A.Compose([
        A.ColorJitter(brightness=0.3 * s, contrast=0.3 * s, saturation=0.4 * s, hue=0.06 * s, p=0.8),
        A.RGBShift(r_shift_limit=20, g_shift_limit=20, b_shift_limit=20, p=0.3),
        A.OneOf([A.GaussianBlur(sigma_limit=(0.3, 1.5)), A.MotionBlur(blur_limit=(3, 7))], p=0.3),
        A.GaussNoise(std_range=(0.01, 0.06), p=0.3),
        A.ImageCompression(quality_range=(30, 95), p=0.4),
        A.CoarseDropout(num_holes_range=(1, 3), hole_height_range=(0.05, 0.15), hole_width_range=(0.05, 0.15), fill=128, p=0.3),
    ])
