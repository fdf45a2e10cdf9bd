"""The reading of photos, in one place: the same steps for the app, the CLI, evaluation and the model card.

Pass 1 on the whole photo (is there a sole, where, which way, which shoe) ->
the optional split of a photo holding both soles -> pass 2 on the canonical
crop (wear class, zones, severity; the pose checked at crop resolution and,
where unsure, averaged over the crop's symmetric views) -> the pose check
(the photo read again turned and mirrored) -> the low-confidence rule. Built
from (model, preprocessor, settings, taxonomy, device): settings are passed
in, never read from a global here, so a change to them, or to the reading,
changes every figure that depends on it at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from inference.forward import Forward, Scene, pose_agreement, read_scene, read_wear, zoom_scene
from inference.preprocess import Preprocessor, window_around
from inference.search import SOLE_WINDOW_FILL, find_soles
from inference.settings import InferenceSettings
from inference.taxonomy import Taxonomy

#: Fewest pixels across either half of a photo split into two soles.
MIN_HALF_PX = 16
ELONGATED = 1.15   # a photo whose one side is this much longer than the other is landscape or portrait

# (photo index, image, given side, part: None, a half (left/right/top/bottom) or "sole N", the part's top-left in the photo)
Unit = tuple[int, np.ndarray, "str | None", "str | None", tuple[int, int]]
Part = tuple[str, np.ndarray, tuple[int, int]]            # (name, pixels, top-left in the photo)


@dataclass
class Reading:
    units: list[Unit]          # one per sole: a photo, or each half of a photo of two soles
    forward: Forward           # pass 1 and pass 2 for every unit
    pose_agrees: np.ndarray    # the pose check (True where not read: no sole, or already unsure)


class ReadingPipeline:
    def __init__(self, model, pre: Preprocessor, settings: InferenceSettings, taxonomy: Taxonomy,
                 device: str | torch.device = "cpu", temperature: float = 1.0) -> None:
        self.model, self.pre, self.settings, self.taxonomy = model, pre, settings, taxonomy
        self.device, self.temperature = device, temperature

    def scene(self, images: Sequence[np.ndarray]) -> Scene:
        """Pass 1 on whole photos, read again closer in where the sole is small."""
        first = read_scene(self.model, self.pre, images, self.device)
        return zoom_scene(self.model, self.pre, images, first, self.settings.quality, self.device)

    def wear(self, images: Sequence[np.ndarray], scene: Scene, sides: Sequence[str | None] | None = None) -> Forward:
        """Pass 2 on the canonical crops at pass 1's boxes and poses."""
        return read_wear(self.model, self.pre, images, scene, self.settings.quality, sides, self.temperature, self.device)

    def two_pass(self, images: Sequence[np.ndarray], sides: Sequence[str | None] | None = None) -> Forward:
        """Both passes, each photo read as one sole (evaluation: every photo holds one)."""
        return self.wear(images, self.scene(images), sides)

    def pose_agrees(self, images: Sequence[np.ndarray], labels: Sequence[int], sides: Sequence[str | None] | None = None,
                    where: np.ndarray | None = None) -> np.ndarray:
        """Whether each photo keeps its class read again in the configured other poses (`pose_check_views`)."""
        return pose_agreement(self.model, self.pre, images, labels, self.settings.quality.pose_check_views, sides,
                              self.device, where=where, quality=self.settings.quality)

    def found(self, fwd: Forward) -> np.ndarray:
        """A sole in the photo, and not vetoed by pass 2's closer look."""
        return self.settings.quality.sole_found(fwd.scene.sole_prob, fwd.crop_sole_prob)

    def read(self, images: list[np.ndarray], sides: list[str | None], split_pairs: bool = True) -> Reading:
        """Every sole in the photos, with the pose check the low-confidence rule needs.

        The pose check reads only found soles the rest of the rule has not already
        flagged: it can add the flag, never remove it.
        """
        scene = self.scene(images)
        units: list[Unit] = []
        picks: list[tuple[Scene, int]] = []
        for i, img in enumerate(images):
            parts = None
            if split_pairs and sides[i] is None:   # a side the user gave describes one shoe: never split
                parts = self._split_pair(img, scene, i)
                if parts is None and scene.sole_prob[i] < self.settings.quality.min_sole_probability:
                    parts = self._search(img)
            if parts:
                pieces, part_scene = parts
                units += [(i, piece, None, name, offset) for name, piece, offset in pieces]
                picks += [(part_scene, k) for k in range(len(pieces))]
            else:
                units.append((i, img, sides[i], None, (0, 0)))
                picks.append((scene, i))
        unit_images, given = [u[1] for u in units], [u[2] for u in units]
        fwd = self.wear(unit_images, Scene.gather(picks), given)
        check = self.found(fwd) & ~self.settings.low_confidence(fwd.probabilities.max(1), fwd.zones[:, -1])
        return Reading(units, fwd, self.pose_agrees(unit_images, fwd.probabilities.argmax(1), given, where=check))

    def pair_halves(self, image: np.ndarray) -> list[Part] | None:
        """The halves `read` cuts a photo of a pair into (name, pixels, offset), or None when it reads the photo whole."""
        found = self._split_pair(image, self.scene([image]), 0)
        return None if found is None else found[0]

    def _search(self, image: np.ndarray) -> tuple[list[Part], Scene] | None:
        """Soles pass 1 did not see on the whole photo, found in windows of it (inference.search).

        Each is read in a window of its own around the box the search found (its pose and side as read
        there); one found is the photo's sole, several are named "sole 1", "sole 2"... along the photo.
        """
        found = find_soles(self.model, self.pre, image, self.device)
        if found is None:
            return None
        windows = [window_around(b, image.shape[:2], SOLE_WINDOW_FILL) for b in found.boxes]
        crops = [np.ascontiguousarray(image[y0:y1, x0:x1]) for x0, y0, x1, y1 in windows]
        boxes = [(b[0] - w[0], b[1] - w[1], b[2] - w[0], b[3] - w[1]) for b, w in zip(found.boxes, windows)]
        names = [None] if len(crops) == 1 else [f"sole {n + 1}" for n in range(len(crops))]
        return [(name, crop, w[:2]) for name, crop, w in zip(names, crops, windows)], replace(found, boxes=boxes)

    def _split_pair(self, image: np.ndarray, scene: Scene, i: int) -> tuple[list[Part], Scene] | None:
        """Both soles in one photo: split it when each half holds one whole, elongated sole.

        Tries each of `_cuts` in turn. Once both halves show an elongated sole,
        the cut moves to the middle of the space between the two soles and the
        halves are read again; a half whose sole still touches the cut is half of
        one sole, not a sole of its own. Returns the halves and pass 1's reading of them.
        """
        for vertical, position in self._cuts(image, scene, i):
            found = self._split_at(image, vertical, position)
            if found is not None:
                return found
        return None

    def _cuts(self, image: np.ndarray, scene: Scene, i: int) -> list[tuple[bool, int]]:
        """Where two soles in the photo would part, likeliest first, each once: (vertical cut?, pixel position).

        Through the middle of a squarish sole box (two soles side by side or one
        above the other; the likelier direction first), and down the middle of a
        landscape photo or of a portrait one whose sole pass 1 reads toe up or
        down in a box wider than one upright sole's (`pair.portrait_min_aspect`):
        runners lay a pair side by side, and pass 1, having learnt from photos of
        one sole, boxes a stretch across both that is not squarish (a real sole
        beside its mirror image in a portrait frame was read as one sole in half of
        the arrangements tried before this cut). A slim upright box is one sole:
        not cutting it saves most phone photos two reads. Cuts along the length of
        a sideways sole, or through its own box, were tried too and cut single real
        soles in two beside sole-shaped clutter, so they are not made
        (docs/model/experiments.md).
        """
        q, (H, W) = self.settings.quality, image.shape[:2]
        x0, y0, x1, y1 = scene.boxes[i]
        w, h = x1 - x0, y1 - y0
        found = scene.sole_prob[i] >= q.min_sole_probability
        cuts: list[tuple[bool, float]] = []
        if found and min(w, h) / max(w, h, 1e-6) >= self.settings.pair.split_min_aspect:
            across, along = (True, (x0 + x1) / 2), (False, (y0 + y1) / 2)
            cuts += [along, across] if h > w else [across, along]
        upright = int(scene.orientation[i]) % 2 == 0   # toe up or down
        wide = w / max(h, 1e-6) >= self.settings.pair.portrait_min_aspect
        if W >= ELONGATED * H or (found and upright and wide and H >= ELONGATED * W):
            cuts.append((True, W / 2))
        return list(dict.fromkeys((vertical, int(position)) for vertical, position in cuts))   # the same cut once

    def _split_at(self, image: np.ndarray, vertical: bool, position: float) -> tuple[list[Part], Scene] | None:
        extent = image.shape[1] if vertical else image.shape[0]
        if extent < 2 * MIN_HALF_PX:   # no room for two soles (and no empty half to read)
            return None
        cut = int(np.clip(position, MIN_HALF_PX, extent - MIN_HALF_PX))
        halves, check = self._read_halves(image, vertical, cut)
        if not self._two_soles(halves, check, vertical, min_gap=0.0):
            return None
        # Re-centre the cut in the space between the soles: the end of the first, the start of the second.
        end_first = check.boxes[0][2 if vertical else 3]
        start_second = cut + check.boxes[1][0 if vertical else 1]
        centred = int(np.clip(round((end_first + start_second) / 2), MIN_HALF_PX, extent - MIN_HALF_PX))
        if centred != cut:
            halves, check = self._read_halves(image, vertical, centred)
        return (halves, check) if self._two_soles(halves, check, vertical, min_gap=0.02) else None

    def _read_halves(self, image: np.ndarray, vertical: bool, cut: int) -> tuple[list[Part], Scene]:
        halves = ([("left", image[:, :cut], (0, 0)), ("right", image[:, cut:], (cut, 0))] if vertical else
                  [("top", image[:cut], (0, 0)), ("bottom", image[cut:], (0, cut))])
        halves = [(name, np.ascontiguousarray(part), offset) for name, part, offset in halves]
        return halves, self.scene([part for _, part, _ in halves])

    def _two_soles(self, halves: list[Part], check: Scene, vertical: bool, min_gap: float) -> bool:
        """Each half holds a sole, elongated, at least `min_gap` (share of the half) away from the cut."""
        q = self.settings.quality
        for k, ((_, part, _), box, p) in enumerate(zip(halves, check.boxes, check.sole_prob)):
            bw, bh = box[2] - box[0], box[3] - box[1]
            size = part.shape[1] if vertical else part.shape[0]
            gap = (size - box[2] if k == 0 else box[0]) if vertical else (size - box[3] if k == 0 else box[1])
            if p < q.min_sole_probability or min(bw, bh) / max(bw, bh, 1e-6) > 0.65 or gap < min_gap * size:
                return False
        return True
