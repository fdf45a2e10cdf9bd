"""Typed prediction results that serialise to the JSON of docs/conventions.md section 4."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
from PIL import Image


@dataclass
class Prediction:
    """One sole in one photo. `label` is None where no honest answer exists; `error` says why a file failed."""

    path: str
    label: str | None = None
    confidence: float | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    side: str | None = None
    side_source: str | None = None          # given | detected
    zones: dict[str, float] = field(default_factory=dict)
    severity: float | None = None
    flags: list[str] = field(default_factory=list)
    error: str | None = None
    # Beyond the contract: what the app and the report show.
    orientation: str | None = None
    box: list[float] | None = None          # sole box in the photo as stored (upright, after EXIF rotation), pixels
    image_size: list[int] | None = None     # that photo's [width, height]
    severity_words: str | None = None
    replacement_hint: str | None = None
    part: str | None = None                 # "left"/"right" half when a photo held both soles
    unsure_reasons: list[str] = field(default_factory=list)   # why low_confidence: too_new, weak, changes_when_turned
    side_conflict: str | None = None        # the side the photo confidently shows when it is not the side given
    # In memory only (never serialised): pictures for the app, the report and --save-visuals.
    photo: np.ndarray | None = field(default=None, repr=False)
    heatmap: Image.Image | None = field(default=None, repr=False)
    diagram: Image.Image | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("photo", "heatmap", "diagram"):
            d.pop(key)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @property
    def ok(self) -> bool:
        return self.error is None and self.label is not None
