"""The two-pass forward every prediction goes through.

Pass 1 looks at the sole's crop as photographed and reads its pose (which way
the toe points, which shoe it is). The crop is then turned into the canonical
frame - the side the user gave wins over the detected one - and pass 2 reads
the wear class and zone scores there, where the model was trained to read
them. Evaluation, the Predictor and the benchmarks all call this function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from inference.model import SoleNet
from inference.preprocess import Box, Preprocessor, canonicalise
from inference.taxonomy import load_taxonomy


@dataclass(frozen=True)
class Forward:
    probabilities: np.ndarray   # (N, classes), after temperature
    logits: np.ndarray          # (N, classes), before temperature
    zones: np.ndarray           # (N, zones + 1): zone scores then severity, canonical frame
    orientation: np.ndarray     # (N,) detected quarter turns
    orientation_prob: np.ndarray  # (N,) confidence of that
    side: list[str]             # side used to canonicalise
    side_detected: list[str]
    side_prob: np.ndarray       # (N,) confidence of the detected side
    crops: list[np.ndarray]     # canonical crops (uint8), for explanations


@torch.no_grad()
def two_pass(model: SoleNet, pre: Preprocessor, images: Sequence[np.ndarray], boxes: Sequence[Box | None],
             sides: Sequence[str | None] | None = None, temperature: float = 1.0,
             device: str | torch.device = "cpu") -> Forward:
    sides_tax = load_taxonomy().sides
    sides = list(sides) if sides is not None else [None] * len(images)
    crops = [pre.crop(img, box) for img, box in zip(images, boxes)]
    batch = torch.stack([pre.to_tensor(c) for c in crops]).to(device)
    first = model(batch)
    orient_p = first["orientation"].float().softmax(1).cpu().numpy()
    side_p = first["side"].float().softmax(1).cpu().numpy()
    turns = orient_p.argmax(1)
    detected = [sides_tax[i] for i in side_p.argmax(1)]
    used = [given or det for given, det in zip(sides, detected)]
    canon = [canonicalise(c, int(k), s) for c, k, s in zip(crops, turns, used)]
    second = model(torch.stack([pre.to_tensor(c) for c in canon]).to(device))
    logits = second["wear_class"].float().cpu().numpy()
    scaled = torch.from_numpy(logits / temperature).softmax(1).numpy()
    return Forward(
        probabilities=scaled, logits=logits, zones=second["zones"].float().sigmoid().cpu().numpy(),
        orientation=turns, orientation_prob=orient_p.max(1), side=used, side_detected=detected,
        side_prob=side_p.max(1), crops=canon,
    )
