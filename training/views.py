"""The torch Dataset: photo -> crop -> canonical frame -> (training) pose + geometric + photometric -> tensor.

Training and validation share every step up to the optional augmentation, and
those steps are `inference.preprocess`, so the network is trained on exactly
the tensors the Predictor feeds it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from inference.decode import load_rgb
from inference.preprocess import (
    Box,
    Preprocessor,
    apply_pose,
    compose_pose,
    image_box_to_scene,
    pose_box,
)
from inference.taxonomy import load_taxonomy
from training.augment import MAX_TURN_DEG, Targets, geometric, photometric, pose_view, turn_room
from training.config import AugmentCfg
from training.data import Record, read_wear_map, record_box
from training.generator.dataset import derive_seed
from training.generator.negatives import render_negative
from training.generator.sample import render_sample
from training.natural_photos import natural_negative
from training.real_soles import surroundings_view

NAN_ZONES = np.full(len(load_taxonomy().zones) + 1, np.nan, np.float32)
NAN_BOX = (float("nan"),) * 4


def materialise(record: Record, epoch: int | None) -> tuple[np.ndarray, Box | None, Record, np.ndarray | None]:
    """Decode (or render) a record's photo and its wear map (uint8, photo frame) when one is known.

    Synthetic records learn their targets here. `epoch` re-seeds on-the-fly
    synthetic samples so every epoch sees new soles; None keeps the record's
    own seeds (validation).
    """
    if record.spec is not None:
        spec = record.spec
        if epoch is not None:
            spec = replace(spec, shoe_seed=derive_seed(spec.shoe_seed, epoch, 0), photo_seed=derive_seed(spec.photo_seed, epoch, 1))
        s = render_sample(spec)
        rec = replace(record, side=s.params.side, orientation=s.params.orientation, rotation_deg=s.params.rotation_deg,
                      zones=tuple(float(z) for z in s.wear.zones) + (s.wear.severity,),
                      others=() if s.photo.partner is None else (tuple(float(v) for v in s.photo.partner.box),))
        wear = np.clip(s.photo.wear * 255 + 0.5, 0, 255).astype(np.uint8)  # as the data set writes it
        return s.photo.image, tuple(float(v) for v in s.photo.box), rec, wear
    return load_rgb(record.path), record_box(record), record, read_wear_map(record)


def _jitter(box: Box | None, amount: float, rng: np.random.Generator) -> Box | None:
    if box is None or amount <= 0:
        return box
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dx0, dy0, dx1, dy1 = rng.uniform(-amount, amount, 4)
    return (x0 + dx0 * w, y0 + dy0 * h, x1 + dx1 * w, y1 + dy1 * h)


class SoleViews(Dataset):
    """Training views of a list of records (augmented), or their plain canonical crops.

    A training item is one of three views: the canonical crop (all heads but
    the box), the whole photo letterboxed - a "scene" - (sole presence, box,
    side, orientation), or a photo with no sole at all (presence only).
    Targets a view cannot know are -1 or NaN and are masked. Without augmentation
    an item is the canonical crop at the known box, the tensor the Predictor
    would feed the network for that photo.
    """

    def __init__(self, records: list[Record], pre: Preprocessor, augment: AugmentCfg | None, seed: int = 0,
                 negative_size: tuple[int, int] = (384, 576), wear_stride: int = 32,
                 surroundings: Sequence[tuple[Path, Sequence[Box]]] = ()) -> None:
        self.records = records
        self.surroundings = surroundings   # photos to cut real sole-free views from (real_soles.sole_free_places)
        self.pre = pre
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.negative_size = negative_size
        self.photometric = photometric() if augment is not None and augment.photometric else None
        self.sides = load_taxonomy().sides
        self.wear_stride = wear_stride
        self._resize(pre.input_size)

    def _resize(self, input_size: int) -> None:
        self.pre = replace(self.pre, input_size=input_size)
        grid = math.ceil(input_size / self.wear_stride)  # cells of the model's wear map ("same" padding)
        self.grid = grid
        self.no_wear_map = np.full((grid, grid), np.nan, np.float32)

    def set_epoch(self, epoch: int, input_size: int | None = None) -> None:
        """Re-seed the augmentation; `input_size` is progressive resizing's size for the epoch (None keeps it)."""
        self.epoch = epoch
        if input_size is not None and input_size != self.pre.input_size:
            self._resize(input_size)

    def __len__(self) -> int:
        return len(self.records)

    def _finish(self, view: np.ndarray, rng: np.random.Generator, wear: np.ndarray | None = None,
                turn: int | None = None) -> tuple[torch.Tensor, np.ndarray]:
        """Augmentation (the wear map moves with the pixels) -> tensor and wear grid.

        `turn`: the degrees the view may be turned (`turn_room`); None keeps its
        geometry, for views whose box and pose targets describe their pixels.
        """
        if self.photometric is not None:
            if turn is not None:
                framing = geometric(turn)
                framing.set_random_seed(int(rng.integers(2**31)))
                done = framing(image=view) if wear is None else framing(image=view, mask=wear)
                view, wear = done["image"], done.get("mask", wear)
            self.photometric.set_random_seed(int(rng.integers(2**31)))  # reproducible per item and epoch
            view = self.photometric(image=view)["image"]
        grid = self.no_wear_map if wear is None else (
            cv2.resize(wear, (self.grid, self.grid), interpolation=cv2.INTER_AREA).astype(np.float32) / 255)
        return self.pre.to_tensor(view), grid

    def _item(self, finished: tuple[torch.Tensor, np.ndarray], label: int = -1, side: int = -1, orientation: int = -1,
              zones: np.ndarray = NAN_ZONES, sole: float = 1.0, box=NAN_BOX) -> dict[str, torch.Tensor]:
        image, wear = finished
        return {"image": image, "label": torch.tensor(label), "side": torch.tensor(side),
                "orientation": torch.tensor(orientation), "zones": torch.from_numpy(np.asarray(zones, np.float32)),
                "sole": torch.tensor(sole, dtype=torch.float32), "box": torch.tensor(box, dtype=torch.float32),
                "wear_map": torch.from_numpy(np.ascontiguousarray(wear, np.float32))}

    def _negative(self, seed: int, rng: np.random.Generator) -> np.ndarray:
        """A sole-free photo: real surroundings of the run's outlined photos, else a natural photo, else a generated one."""
        negative = None
        if rng.random() < self.augment.natural_p:
            if self.surroundings and rng.random() < self.augment.surroundings_p:
                negative = surroundings_view(self.surroundings, seed, self.negative_size)
            if negative is None:
                negative = natural_negative(seed, self.negative_size)
        return negative if negative is not None else render_negative(seed, self.negative_size, self.augment.sole_free_kinds)

    def _no_wear(self) -> np.ndarray:
        """A photo without a sole has no wear anywhere: a known, all-zero map."""
        return np.zeros((self.pre.input_size, self.pre.input_size), np.uint8)

    def scene(self, image: np.ndarray, box: Box | None, rec: Record, turns: int = 0, mirror: bool = False
              ) -> tuple[np.ndarray, int, int, tuple]:
        """The whole photo letterboxed, optionally re-posed, with its pose and box targets.

        A photo of a pair is one find whose box holds both soles (the Predictor
        cuts such a box in two); its side and toe direction are no single answer.
        A photo of more soles has no box target either.
        """
        view = apply_pose(self.pre.crop(image, None), turns, "right" if mirror else "left")
        if box is not None and len(rec.others) == 1:
            other = rec.others[0]
            box = (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3]))
        nb = NAN_BOX if box is None else pose_box(image_box_to_scene(box, image.shape[:2], self.pre.margin), turns, mirror)
        orientation, mirrored = compose_pose(rec.orientation, rec.side == "right", turns, mirror)
        side = (1 if mirrored else 0) if rec.side is not None else -1
        if not rec.pose_known or rec.others:
            side = orientation = -1
        if not rec.orientation_known:
            orientation = -1
        if len(rec.others) > 1:
            nb = NAN_BOX
        return view, side, orientation, tuple(nb)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        train = self.augment is not None
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch if train else 0, index]))
        if train and rng.random() < self.augment.negative_p:
            seed = derive_seed(self.seed, self.epoch, index)
            return self._item(self._finish(self.pre.crop(self._negative(seed, rng), None), rng, self._no_wear(), MAX_TURN_DEG),
                              sole=0.0)
        image, box, rec, wear = materialise(self.records[index], self.epoch if train else None)
        if train and rng.random() < self.augment.scene_p:
            turns, mirror = (int(rng.integers(4)), bool(rng.random() < 0.5)) if rng.random() < self.augment.pose_p else (0, False)
            view, side, orientation, nb = self.scene(image, box, rec, turns, mirror)
            return self._item(self._finish(view, rng), side=side, orientation=orientation, box=nb)
        if train:
            box = _jitter(box, self.augment.box_jitter, rng)
        side = rec.side or self.sides[0]
        canonical = self.pre.canonical_crop(image, box, rec.orientation, side)
        wear_view = None if wear is None else self.pre.canonical_crop(wear, box, rec.orientation, side, fill=0)
        zones = np.asarray(rec.zones, np.float32) if rec.zones is not None else NAN_ZONES
        targets = Targets(rec.label, 0, 0, zones)  # canonical: left shoe, toe up
        view = canonical
        if train and rng.random() < self.augment.pose_p:
            turns, mirror = int(rng.integers(4)), bool(rng.random() < 0.5)
            view, targets = pose_view(canonical, targets, turns, mirror)
            if wear_view is not None:
                wear_view = apply_pose(wear_view, turns, "right" if mirror else "left")
        if not rec.pose_known:   # the view's side and toe direction are guesses: no target for those heads
            targets = Targets(targets.label, -1, -1, targets.zones)
        elif not rec.orientation_known:   # a crop of a sole whose toe direction nobody knows
            targets = Targets(targets.label, targets.side, -1, targets.zones)
        if wear_view is None and rec.zones is not None and not any(rec.zones):
            wear_view = self._no_wear()     # a new sole: no wear anywhere, tread and logos included
        return self._item(self._finish(view, rng, wear_view, turn_room(rec.rotation_deg)), targets.label, targets.side,
                          targets.orientation, targets.zones)


class ValidationPhotos(Dataset):
    """Validation photos as the app gets them: the decoded photo (or rendered sample) with its record.

    Validation reads each one through the Predictor's own two passes, so it
    scores the crop the saved model will find for itself, never one the data set
    supplied and a user's photo would not come with.
    """

    def __init__(self, records: list[Record]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> tuple[np.ndarray, Record]:
        image, box, rec, _ = materialise(self.records[index], None)
        return image, replace(rec, box=box)


def as_list(batch: list) -> list:
    """A DataLoader collate that leaves (photo, record) pairs as they are (photos differ in size)."""
    return batch
