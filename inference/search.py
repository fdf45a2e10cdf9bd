"""Soles that pass 1 missed on the whole photo, looked for in windows of it.

Pass 1 reads the whole photo at the network's input size and learnt from
photos of one sole. Where it finds none, the soles may still be there, small
or several at once: two soles of different rubber side by side on a patterned
cloth, a robot arm at the edge (the held-out real `taban` photos, where pass 1
found a sole in 16% of them). The photo is read again in overlapping windows of
half and seven tenths of its size; a sole found whole inside a window (not cut
by its edge), elongated as a sole is, is a candidate, and overlapping
candidates are merged keeping the surest (torchvision's non-maximum
suppression). Each sole found is then read in a window of its own.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torchvision.ops import box_iou, nms

from inference.forward import Scene, read_windows
from inference.preprocess import Box, Preprocessor

Window = tuple[int, int, int, int]   # x0, y0, x1, y1 in photo pixels

#: Window sizes as shares of the photo's width and height; neighbouring windows overlap by half.
SEARCH_SCALES = (0.5, 0.7)
#: A box whose short side is more than this share of its long side is not one sole (two, or clutter).
MAX_SOLE_ASPECT = 0.65
#: A window's sole probability a candidate needs: stricter than pass 1's own bar, since a photo is read many times.
MIN_SEARCH_PROBABILITY = 0.8
#: Windows that must find a sole (overlapping boxes) before it counts: one window's find alone is often clutter.
MIN_SUPPORT = 2
#: A candidate with more than this share of the smaller box inside a surer one's is the same sole.
SAME_SOLE_INSIDE = 0.6
#: Candidates overlapping more than this (IoU) are one sole.
SAME_SOLE_IOU = 0.3
#: Pixels from a window's edge within which a box is taken as cut by it.
EDGE_PX = 2
MAX_SOLES = 8
#: Each sole found is read again in a window of the photo's aspect in which it spans this share.
SOLE_WINDOW_FILL = 0.75


def search_windows(h: int, w: int) -> list[Window]:
    """Overlapping windows of each search scale, covering the photo."""
    windows = []
    for s in SEARCH_SCALES:
        ww, wh = max(1, round(w * s)), max(1, round(h * s))
        n = math.ceil((1 - s) / (s / 2)) + 1
        for y in np.linspace(0, h - wh, n):
            for x in np.linspace(0, w - ww, n):
                windows.append((int(round(x)), int(round(y)), int(round(x)) + ww, int(round(y)) + wh))
    return windows


def _whole_sole(box: Box, window: Window, size: tuple[int, int]) -> bool:
    """Elongated, and not cut by a window edge that lies inside the photo (box and window in photo pixels)."""
    x0, y0, x1, y1 = box
    wx0, wy0, wx1, wy1 = window
    H, W = size
    cut = ((x0 <= wx0 + EDGE_PX and wx0 > 0) or (y0 <= wy0 + EDGE_PX and wy0 > 0)
           or (x1 >= wx1 - EDGE_PX and wx1 < W) or (y1 >= wy1 - EDGE_PX and wy1 < H))
    w, h = x1 - x0, y1 - y0
    return not cut and min(w, h) / max(w, h, 1e-6) <= MAX_SOLE_ASPECT


def _overlaps_kept(box: Box, kept: list[Box]) -> bool:
    """Mostly inside a kept box, or mostly covering one: a part of that sole, or that sole with its surroundings."""
    for k in kept:
        w = min(box[2], k[2]) - max(box[0], k[0])
        h = min(box[3], k[3]) - max(box[1], k[1])
        smaller = min((box[2] - box[0]) * (box[3] - box[1]), (k[2] - k[0]) * (k[3] - k[1]))
        if w > 0 and h > 0 and w * h > SAME_SOLE_INSIDE * smaller:
            return True
    return False


def find_soles(model, pre: Preprocessor, image: np.ndarray, device: str | torch.device = "cpu") -> Scene | None:
    """Pass 1's reading of each sole found in windows of the photo, boxes in photo pixels, ordered along the photo
    (left to right, or top to bottom when the soles lie one above another); None when none is found."""
    size = image.shape[:2]
    windows = search_windows(*size)
    scene = read_windows(model, pre, [image] * len(windows), windows, device)
    picks = [k for k, w in enumerate(windows) if scene.sole_prob[k] >= MIN_SEARCH_PROBABILITY and _whole_sole(scene.boxes[k], w, size)]
    if not picks:
        return None
    boxes, scores = [scene.boxes[k] for k in picks], [float(scene.sole_prob[k]) for k in picks]
    every = torch.tensor(boxes, dtype=torch.float32)
    support = (box_iou(every, every) >= SAME_SOLE_IOU).sum(1)   # windows that found this sole, itself included
    kept: list[int] = []
    for i in nms(every, torch.tensor(scores), SAME_SOLE_IOU).tolist():
        if len(kept) < MAX_SOLES and support[i] >= MIN_SUPPORT and not _overlaps_kept(boxes[i], [boxes[j] for j in kept]):
            kept.append(i)
    if not kept:
        return None
    centres = np.array([((boxes[i][0] + boxes[i][2]) / 2, (boxes[i][1] + boxes[i][3]) / 2) for i in kept])
    axis = int(np.ptp(centres[:, 1]) > np.ptp(centres[:, 0]))   # arranged across (0) or down (1) the photo
    order = [kept[j] for j in np.argsort(centres[:, axis], kind="stable")]
    return Scene.gather([(scene, picks[i]) for i in order])
