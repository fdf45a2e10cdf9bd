"""The one preprocessing: crop, pose, resize, normalise.

Training, evaluation, inference and export all call this module, so a model is
trained on exactly the tensors the Predictor will feed it.

Pose: `orientation` k is the number of 90-degree clockwise turns of the toe
from "up" (taxonomy `orientations`); `side` is left or right. Turning a photo
into the canonical frame rotates it back by k quarter turns and mirrors a
right shoe into a left one. `apply_pose` is the exact inverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def padded_box(box: Box, margin: float) -> Box:
    """`box` grown on every side by `margin` times its longer side."""
    x0, y0, x1, y1 = box
    pad = max(x1 - x0, y1 - y0) * margin
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def square_box(box: Box | None, image_hw: tuple[int, int], margin: float) -> Box:
    """The square around `box` (or the whole image) padded as `padded_box` pads it."""
    h, w = image_hw
    x0, y0, x1, y1 = padded_box(box if box is not None else (0.0, 0.0, float(w), float(h)), margin)
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def crop_resized(image: np.ndarray, box: Box, out_side: int, fill: float = 128) -> np.ndarray:
    """Crop a box (may reach outside the image: padded with `fill`, grey) and resize it to a square.

    A box that is not square is stretched along its shorter side.
    """
    x0, y0, x1, y1 = box
    sx, sy = out_side / max(x1 - x0, 1e-6), out_side / max(y1 - y0, 1e-6)
    src = image
    if min(sx, sy) < 0.5:  # pre-shrink with area filtering so the linear warp below does not alias
        f = max(1, int(1 / min(sx, sy) / 1.5))
        src = cv2.resize(image, (max(1, image.shape[1] // f), max(1, image.shape[0] // f)), interpolation=cv2.INTER_AREA)
        fx, fy = src.shape[1] / image.shape[1], src.shape[0] / image.shape[0]
        x0, y0, sx, sy = x0 * fx, y0 * fy, sx / fx, sy / fy
    # One affine warp does crop, pad and resize together.
    m = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float32)
    return cv2.warpAffine(src, m, (out_side, out_side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(fill, fill, fill))


def canonicalise(image: np.ndarray, orientation: int, side: str) -> np.ndarray:
    """Photo pose -> canonical frame (left shoe, toe up)."""
    out = np.rot90(image, k=orientation % 4)  # rot90 turns counter-clockwise: undoes k clockwise turns
    if side == "right":
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def apply_pose(canonical: np.ndarray, orientation: int, side: str) -> np.ndarray:
    """Canonical frame -> a photo pose (the inverse of `canonicalise`)."""
    out = canonical[:, ::-1] if side == "right" else canonical
    return np.ascontiguousarray(np.rot90(out, k=-(orientation % 4)))


@dataclass(frozen=True)
class Preprocessor:
    """Crop geometry and normalisation; its fields travel in the checkpoint metadata.

    `stretch`: the sole's crop is its padded box stretched to the square input
    rather than the square around it. A sole is two to three times as long as
    it is wide, so the square wastes most of its pixels on background while
    medial and lateral wear - the difference between most classes - lies
    across the sole's width; stretched, the width gets about twice the pixels
    at the same cost. The whole-photo scene view is always letterboxed.
    """

    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    margin: float = 0.08
    stretch: bool = False

    @classmethod
    def from_meta(cls, meta: dict) -> "Preprocessor":
        p = meta["preprocess"]
        return cls(int(p["input_size"]), tuple(p["mean"]), tuple(p["std"]), float(p["margin"]), bool(p.get("stretch", False)))

    def to_meta(self) -> dict:
        return {"input_size": self.input_size, "mean": list(self.mean), "std": list(self.std), "margin": self.margin,
                "stretch": self.stretch}

    def crop_box(self, box: Box | None, image_hw: tuple[int, int]) -> Box:
        """The part of the photo a crop shows: around the sole's box, or the whole photo letterboxed."""
        if box is None or not self.stretch:
            return square_box(box, image_hw, self.margin)
        return padded_box(box, self.margin)

    def crop(self, image: np.ndarray, box: Box | None, fill: float = 128) -> np.ndarray:
        """The crop around the sole, at model resolution, in the photo's own pose."""
        return crop_resized(image, self.crop_box(box, image.shape[:2]), self.input_size, fill)

    def canonical_crop(self, image: np.ndarray, box: Box | None, orientation: int, side: str, fill: float = 128) -> np.ndarray:
        """The crop in the canonical frame; `fill` pads beyond the photo (0 for a wear map)."""
        return canonicalise(self.crop(image, box, fill), orientation, side)

    def to_tensor(self, crop: np.ndarray) -> torch.Tensor:
        """uint8 HWC RGB -> normalised float CHW."""
        x = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float().div_(255)
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        return (x - mean) / std


# ---------------------------------------------------------------- scene view geometry
# Pass 1 looks at the whole photo, letterboxed into a square ("scene view"), and
# reports the sole's box there as (cx, cy, w, h) in [0, 1]. These helpers move
# boxes between photo pixels and that normalised scene frame, and through poses.
NormBox = tuple[float, float, float, float]  # cx, cy, w, h in [0, 1] of the scene view


def scene_square(image_hw: tuple[int, int], margin: float) -> Box:
    return square_box(None, image_hw, margin)


def image_box_to_scene(box: Box, image_hw: tuple[int, int], margin: float) -> NormBox:
    sx0, sy0, sx1, sy1 = scene_square(image_hw, margin)
    side = sx1 - sx0
    x0, y0, x1, y1 = box
    return ((x0 + x1) / 2 - sx0) / side, ((y0 + y1) / 2 - sy0) / side, (x1 - x0) / side, (y1 - y0) / side


def scene_box_to_image(nb: NormBox, image_hw: tuple[int, int], margin: float) -> Box:
    sx0, sy0, sx1, _ = scene_square(image_hw, margin)
    side = sx1 - sx0
    cx, cy, w, h = nb
    return (sx0 + (cx - w / 2) * side, sy0 + (cy - h / 2) * side, sx0 + (cx + w / 2) * side, sy0 + (cy + h / 2) * side)


def pose_box(nb: NormBox, turns: int, mirror: bool) -> NormBox:
    """Where a normalised box goes when its square view is mirrored, then turned clockwise (as `apply_pose`)."""
    cx, cy, w, h = nb
    if mirror:
        cx = 1 - cx
    for _ in range(turns % 4):
        cx, cy, w, h = 1 - cy, cx, h, w
    return cx, cy, w, h


def compose_pose(orientation: int, mirrored: bool, turns: int, mirror: bool) -> tuple[int, bool]:
    """Pose of a photo after `apply_pose(photo, turns, mirror)`, given the photo's own pose.

    A mirror turns a clockwise rotation into an anticlockwise one (M R = R^-1 M).
    """
    if mirror:
        return (turns - orientation) % 4, not mirrored
    return (turns + orientation) % 4, mirrored


def window_around(box: Box, size: tuple[int, int], fill: float) -> tuple[int, int, int, int]:
    """A window of the photo's own aspect in which the box spans `fill` of the width or height, inside the photo."""
    H, W = size
    x0, y0, x1, y1 = box
    scale = min(1.0, max((x1 - x0) / W, (y1 - y0) / H) / fill)
    w, h = max(1, round(W * scale)), max(1, round(H * scale))
    left = int(np.clip(round((x0 + x1) / 2 - w / 2), 0, W - w))
    top = int(np.clip(round((y0 + y1) / 2 - h / 2), 0, H - h))
    return left, top, left + w, top + h
