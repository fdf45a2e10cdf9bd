"""The two-pass forward every prediction goes through.

Pass 1 looks at the whole photo (letterboxed, the "scene") and reads whether
there is a sole, where it is, which way its toe points and which shoe it is.
The sole's crop is then turned into the canonical frame - a side the user
gave wins over the detected one - and pass 2 reads the wear class and zone
scores there, where the model learnt to read them. Evaluation, the Predictor
and the benchmarks all call this function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from inference.model import SoleNet
from inference.preprocess import Box, Preprocessor, apply_pose, compose_pose, scene_box_to_image, window_around
from inference.settings import Quality
from inference.taxonomy import load_taxonomy


@dataclass(frozen=True)
class Scene:
    """Pass 1 for a batch of photos."""

    sole_prob: np.ndarray         # (N,) probability that a sole is in the photo
    boxes: list[Box]              # sole box in photo pixels
    orientation: np.ndarray       # (N,) detected quarter turns of the toe
    orientation_prob: np.ndarray  # (N,)
    side: list[str]               # detected side
    side_prob: np.ndarray         # (N,)

    @staticmethod
    def gather(picks: Sequence[tuple["Scene", int]]) -> "Scene":
        """Rows picked from several scenes, in order (so nothing already read is read again)."""
        return Scene(np.array([s.sole_prob[i] for s, i in picks]), [s.boxes[i] for s, i in picks],
                     np.array([s.orientation[i] for s, i in picks]), np.array([s.orientation_prob[i] for s, i in picks]),
                     [s.side[i] for s, i in picks], np.array([s.side_prob[i] for s, i in picks]))


@dataclass(frozen=True)
class Forward:
    scene: Scene
    probabilities: np.ndarray   # (N, classes), after temperature
    logits: np.ndarray          # (N, classes), before temperature
    zones: np.ndarray           # (N, zones + 1): zone scores then severity, canonical frame
    crop_sole_prob: np.ndarray  # (N,) pass 2's own sole probability on the crop: a closer second look
    side: list[str]             # side used to canonicalise
    crops: list[np.ndarray]     # canonical crops (uint8 RGB), for explanations
    tensors: torch.Tensor       # the canonical batch pass 2 saw
    evidence: np.ndarray | None = None   # (N, classes, h, w) class evidence on the crop: the heatmap's source


@torch.no_grad()
def read_scene(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray], device: str | torch.device = "cpu") -> Scene:
    sides = load_taxonomy().sides
    batch = torch.stack([pre.to_tensor(pre.crop(img, None)) for img in images]).to(device)
    out = model(batch)
    orient_p = out["orientation"].float().softmax(1).cpu().numpy()
    side_p = out["side"].float().softmax(1).cpu().numpy()
    norm_boxes = out["box"].float().sigmoid().cpu().numpy()
    # Whole pixels: the crop then does not move with the last digits of the box regression
    # (which differ between backends), so PyTorch and ONNX read the same pixels.
    boxes = [tuple(float(round(v)) for v in scene_box_to_image(tuple(float(v) for v in nb), img.shape[:2], pre.margin))
             for nb, img in zip(norm_boxes, images)]
    return Scene(out["sole"].float().squeeze(1).sigmoid().cpu().numpy(), boxes, orient_p.argmax(1), orient_p.max(1),
                 [sides[i] for i in side_p.argmax(1)], side_p.max(1))


#: The largest zoom window, as a share of the photo's width and height: pass 1 is read again only where that
#: magnifies the sole at least 1.4 times. Closer to 1, the second look rarely saw more, and on a real CSAFE photo
#: turned sideways (its sole across 63% of the frame) it cut the sole short, so pass 2 lost it.
MAX_ZOOM_WINDOW = 0.7


def zoom_window(box: Box, size: tuple[int, int], fill: float) -> tuple[int, int, int, int] | None:
    """`window_around` the sole's box, or None when the sole already spans nearly `fill` (`MAX_ZOOM_WINDOW`)."""
    H, W = size
    x0, y0, x1, y1 = box
    scale = max((x1 - x0) / W, (y1 - y0) / H) / fill
    return window_around(box, size, fill) if 0 < scale <= MAX_ZOOM_WINDOW else None


def read_windows(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray],
                 windows: Sequence[tuple[int, int, int, int]], device: str | torch.device = "cpu") -> Scene:
    """Pass 1 on each window (x0, y0, x1, y1) of its photo, the boxes given in the photo's pixels."""
    scene = read_scene(model, pre, [img[y0:y1, x0:x1] for img, (x0, y0, x1, y1) in zip(images, windows)], device)
    return replace(scene, boxes=[(b[0] + w[0], b[1] + w[1], b[2] + w[0], b[3] + w[1]) for b, w in zip(scene.boxes, windows)])


@torch.no_grad()
def zoom_scene(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray], scene: Scene, quality: Quality,
               device: str | torch.device = "cpu") -> Scene:
    """Pass 1 read again closer in, for photos where the sole it found is small.

    Pass 1 sees the whole photo at the network's input size, so a sole across a
    third of the frame is a few dozen pixels long there and its box lands
    loosely (on generated photos with soles across 35-60% of the frame, the
    bundled model's box overlapped the true one by IoU 0.6 at the median). The
    photo cut to a window of its own aspect in which the found sole spans
    `quality.zoom_fill` of the frame is read again, and its box, pose and side
    replace the first ones when it sees a sole there too.
    """
    if quality.zoom_fill <= 0:
        return scene
    windows = {i: zoom_window(scene.boxes[i], images[i].shape[:2], quality.zoom_fill) for i in range(len(images))
               if scene.sole_prob[i] >= quality.min_sole_probability}
    picked = [i for i, w in windows.items() if w is not None]
    if not picked:
        return scene
    closer = read_windows(model, pre, [images[i] for i in picked], [windows[i] for i in picked], device)
    again = {i: k for k, i in enumerate(picked) if closer.sole_prob[k] >= quality.min_sole_probability}
    return Scene.gather([(closer, again[i]) if i in again else (scene, i) for i in range(len(images))])


@torch.no_grad()
def read_wear(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray], scene: Scene, quality: Quality,
              sides: Sequence[str | None] | None = None, temperature: float = 1.0,
              device: str | torch.device = "cpu") -> Forward:
    """Pass 2: canonical crops at the detected boxes and poses, the pose checked at crop resolution.

    The whole-photo view of pass 1 sees the sole small; the crop shows its
    outline four times larger. When pass 2's own side and orientation heads
    say the crop is not yet in the canonical frame (toe up, left shoe), the
    pose is composed with what they saw and those crops are read once more.
    A side the user gave is kept. Where either pass is unsure of the toe's
    direction (a sole turned near a diagonal) or of the side, pass 2 reads that
    from all the crop's symmetric views (`symmetric_pose`).
    """
    sides = list(sides) if sides is not None else [None] * len(images)
    used = [given or det for given, det in zip(sides, scene.side)]
    turns = [int(k) for k in scene.orientation]
    crops = [pre.canonical_crop(img, box, k, s) for img, box, k, s in zip(images, scene.boxes, turns, used)]
    batch = torch.stack([pre.to_tensor(c) for c in crops]).to(device)
    out = {k: v.float().cpu() for k, v in model(batch).items()
           if k in ("wear_class", "zones", "side", "orientation", "sole", "class_evidence")}
    side_p, orient_p = out["side"].softmax(1).numpy(), out["orientation"].softmax(1).numpy()
    detected, side_prob, orient_prob = list(scene.side), scene.side_prob.copy(), scene.orientation_prob.copy()
    right = load_taxonomy().sides.index("right")
    min_sole = quality.min_sole_probability
    below = quality.symmetric_pose_below
    toe_unsure = np.minimum(orient_p.max(1), orient_prob) < below
    side_unsure = (np.minimum(side_p.max(1), side_prob) < below) & np.array([s is None for s in sides])
    unsure = np.flatnonzero((scene.sole_prob >= min_sole) & (toe_unsure | side_unsure))
    if len(unsure):
        sym_orient, sym_side = symmetric_pose(model, pre, [crops[i] for i in unsure], device)
        orient_p[unsure] = np.where(toe_unsure[unsure, None], sym_orient, orient_p[unsure])
        side_p[unsure] = np.where(side_unsure[unsure, None], sym_side, side_p[unsure])
    recheck = []
    for i in range(len(images)):
        if scene.sole_prob[i] < min_sole:  # no sole: nothing to put right
            continue
        mirrored = sides[i] is None and side_p[i, right] > 0.5   # the crop looks like a right shoe
        turned = int(orient_p[i].argmax())
        if not (mirrored or turned):
            continue
        # The crop shows the sole in pose (turned, mirrored); the crop is the photo canonicalised with
        # (turns, used), so the photo's own pose is that crop pose put through apply_pose(turns, used).
        turns[i], photo_mirrored = compose_pose(turned, mirrored, turns[i], used[i] == "right")
        used[i] = "right" if photo_mirrored else "left"
        if mirrored:
            detected[i], side_prob[i] = used[i], side_p[i].max()
        if turned:
            orient_prob[i] = orient_p[i].max()
        crops[i] = pre.canonical_crop(images[i], scene.boxes[i], turns[i], used[i])
        recheck.append(i)
    if recheck:
        again = torch.stack([pre.to_tensor(crops[i]) for i in recheck]).to(device)
        redo = model(again)
        batch[recheck] = again
        for key in ("wear_class", "zones", "sole", "class_evidence"):
            if key in out:
                out[key][recheck] = redo[key].float().cpu()
        scene = replace(scene, orientation=np.array(turns), orientation_prob=orient_prob, side=detected, side_prob=side_prob)
    logits = out["wear_class"].numpy()
    return Forward(scene, torch.from_numpy(logits / temperature).softmax(1).numpy(), logits,
                   out["zones"].sigmoid().numpy(), out["sole"][:, 0].sigmoid().numpy(), used, crops, batch,
                   out["class_evidence"].numpy() if "class_evidence" in out else None)


# The crop's symmetric views: each quarter turn, plain and mirrored (as `apply_pose` shows them).
SYMMETRIC_VIEWS = tuple((turns, mirror) for turns in range(4) for mirror in (False, True))


@torch.no_grad()
def symmetric_pose(model: SoleNet, pre: Preprocessor, crops: Sequence[np.ndarray],
                   device: str | torch.device = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Pass 2's orientation and side probabilities for each crop, averaged over its eight symmetric views.

    Quarter turns and mirrors move no pixel off the grid, so every view shows
    the same sole exactly, in a known other pose; each view's answer is mapped
    back to the crop's own pose (a mirrored view shows the other side) before
    averaging. The heads' leanings towards some poses then cancel: on soles
    turned near a diagonal, where one view is close to a coin toss, the average
    picks the right quarter turn markedly more often, and on real photos it set
    right the side of the two views of 16 that one view got wrong (configs/
    inference.yaml, symmetric_pose_below). The result is the same whichever of
    its views the crop arrived in. Returns (N, orientations) and (N, sides).
    """
    tax = load_taxonomy()
    n_orient, n_views = len(tax.orientations), len(SYMMETRIC_VIEWS)
    batch = torch.stack([pre.to_tensor(apply_pose(c, turns, "right" if mirror else "left"))
                         for c in crops for turns, mirror in SYMMETRIC_VIEWS]).to(device)
    out = model(batch)
    orient = out["orientation"].float().softmax(1).cpu().numpy().reshape(len(crops), n_views, n_orient)
    side = out["side"].float().softmax(1).cpu().numpy().reshape(len(crops), n_views, len(tax.sides))
    aligned_orient, aligned_side = np.zeros((len(crops), n_orient)), np.zeros((len(crops), len(tax.sides)))
    for v, (turns, mirror) in enumerate(SYMMETRIC_VIEWS):
        aligned_orient += orient[:, v, [compose_pose(q, False, turns, mirror)[0] for q in range(n_orient)]]
        aligned_side += side[:, v, ::-1] if mirror else side[:, v]
    return aligned_orient / n_views, aligned_side / n_views


def two_pass(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray], quality: Quality,
             sides: Sequence[str | None] | None = None, temperature: float = 1.0,
             device: str | torch.device = "cpu") -> Forward:
    scene = zoom_scene(model, pre, images, read_scene(model, pre, images, device), quality, device)
    return read_wear(model, pre, images, scene, quality, sides, temperature, device)



def pose_agreement(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray], labels: Sequence[int],
                   views: Sequence[tuple[int, bool]], sides: Sequence[str | None] | None = None,
                   device: str | torch.device = "cpu", where: np.ndarray | None = None, *, quality: Quality) -> np.ndarray:
    """Whether each photo, read again in each of `views` (quarter turns, mirrored?), keeps its class `labels[i]`.

    A turned or mirrored photo shows the same sole (a mirrored left sole is a
    right one, so a given side is mirrored with it), and the class does not
    depend on pose; both passes run again, so the box, the pose and the crop are
    found afresh. On generated soles the class rarely changes; where it does the
    first answer is often wrong, and on real photos it changes far more often
    (MODEL_CARD.md): a check of doubt that does not rest on the model's own
    probabilities. All views of all photos go through in one batch. Only photos
    where `where` is True are read (None: all); the others, and every photo when
    there are no views, count as agreeing.
    """
    agrees = np.ones(len(images), bool)
    picked = np.flatnonzero(agrees if where is None else where)
    if not views or not len(picked):
        return agrees
    posed = [apply_pose(images[i], turns, "right" if mirror else "left") for turns, mirror in views for i in picked]
    posed_sides = None if sides is None else [
        None if sides[i] is None else ("right" if compose_pose(0, sides[i] == "right", turns, mirror)[1] else "left")
        for turns, mirror in views for i in picked]
    read = two_pass(model, pre, posed, quality, posed_sides, device=device).logits.argmax(1).reshape(len(views), len(picked))
    agrees[picked] = (read == np.asarray(labels)[picked][None]).all(0)
    return agrees
