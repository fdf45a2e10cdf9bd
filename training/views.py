"""The torch Dataset: photo -> crop -> canonical frame -> (training) pose + photometric -> tensor.

Training and validation share every step up to the optional augmentation, and
those steps are `inference.preprocess`, so the network is trained on exactly
the tensors the Predictor feeds it.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from inference.decode import load_rgb
from inference.preprocess import Box, Preprocessor
from inference.taxonomy import load_taxonomy
from training.augment import Targets, photometric, pose_view
from training.config import AugmentCfg
from training.data import Record
from training.generator.dataset import derive_seed
from training.generator.sample import render_sample

NAN_ZONES = np.full(len(load_taxonomy().zones) + 1, np.nan, np.float32)


def mask_box(path) -> Box | None:
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        return None
    ys, xs = np.nonzero(mask > 127)
    return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)) if len(xs) else None


def materialise(record: Record, epoch: int | None) -> tuple[np.ndarray, Box | None, Record]:
    """Decode (or render) a record's photo; synthetic records learn their targets here.

    `epoch` re-seeds on-the-fly synthetic samples so every epoch sees new soles;
    None keeps the record's own seeds (validation).
    """
    if record.spec is not None:
        spec = record.spec
        if epoch is not None:
            spec = replace(spec, shoe_seed=derive_seed(spec.shoe_seed, epoch, 0), photo_seed=derive_seed(spec.photo_seed, epoch, 1))
        s = render_sample(spec)
        rec = replace(record, side=s.params.side, orientation=s.params.orientation,
                      zones=tuple(float(z) for z in s.wear.zones) + (s.wear.severity,))
        return s.photo.image, tuple(float(v) for v in s.photo.box), rec
    image = load_rgb(record.path)
    box = record.box if record.box is not None else (mask_box(record.mask_path) if record.mask_path else None)
    return image, box, record


def _jitter(box: Box | None, amount: float, rng: np.random.Generator) -> Box | None:
    if box is None or amount <= 0:
        return box
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dx0, dy0, dx1, dy1 = rng.uniform(-amount, amount, 4)
    return (x0 + dx0 * w, y0 + dy0 * h, x1 + dx1 * w, y1 + dy1 * h)


class SoleViews(Dataset):
    """Training (augmented) or validation views of a list of records."""

    def __init__(self, records: list[Record], pre: Preprocessor, augment: AugmentCfg | None, seed: int = 0) -> None:
        self.records = records
        self.pre = pre
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.photometric = photometric() if augment is not None and augment.photometric else None
        self.sides = load_taxonomy().sides

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        train = self.augment is not None
        image, box, rec = materialise(self.records[index], self.epoch if train else None)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch if train else 0, index]))
        if train:
            box = _jitter(box, self.augment.box_jitter, rng)
        side = rec.side or self.sides[0]
        canonical = self.pre.canonical_crop(image, box, rec.orientation, side)
        zones = np.asarray(rec.zones, np.float32) if rec.zones is not None else NAN_ZONES
        targets = Targets(rec.label, 0, 0, zones)  # canonical: left shoe, toe up
        view = canonical
        if train and rng.random() < self.augment.pose_p:
            view, targets = pose_view(canonical, targets, int(rng.integers(4)), bool(rng.random() < 0.5))
        if self.photometric is not None:
            self.photometric.set_random_seed(int(rng.integers(2**31)))  # reproducible per item and epoch
            view = self.photometric(image=view)["image"]
        item = {
            "image": self.pre.to_tensor(view),
            "label": torch.tensor(targets.label),
            "side": torch.tensor(targets.side),
            "orientation": torch.tensor(targets.orientation),
            "zones": torch.from_numpy(np.asarray(targets.zones, np.float32)),
        }
        if not train:  # validation also scores pose on the photo's own pose
            item["pose_image"] = self.pre.to_tensor(self.pre.crop(image, box))
            item["pose_side"] = torch.tensor(self.sides.index(side) if rec.side else -1)
            item["pose_orientation"] = torch.tensor(rec.orientation)
        return item
