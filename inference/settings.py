"""Validated view of `configs/inference.yaml` (quality gate, pair analysis, hints)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from inference.config import load_yaml, validated
from inference.taxonomy import load_taxonomy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quality(_Strict):
    min_sole_probability: float = Field(ge=0, le=1)
    min_crop_sole_probability: float = Field(ge=0, le=1)
    min_sharpness: float = Field(ge=0)
    dark_luminance: float = Field(ge=0, le=1)
    bright_luminance: float = Field(ge=0, le=1)
    min_sole_area: float = Field(ge=0, le=1)
    min_confidence: float = Field(ge=0, le=1)
    min_side_confidence: float = Field(ge=0.5, le=1)
    symmetric_pose_below: float = Field(ge=0, le=1)
    zoom_fill: float = Field(0.0, ge=0, le=1)   # pass 1 read again closer in where the sole spans less (0: never)
    # Other poses (quarter turns, mirrored?) the photo is read in again; a class that changes means low_confidence.
    pose_check_views: tuple[tuple[int, bool], ...] = ()
    unusable: tuple[str, ...]

    @model_validator(mode="after")
    def _real_other_poses(self) -> "Quality":
        for turns, mirror in self.pose_check_views:
            if not 0 <= turns <= 3 or (turns, mirror) == (0, False):
                raise ValueError(f"pose_check_views: {[turns, mirror]} is not another pose (0-3 quarter turns, mirrored or not)")
        if len(set(self.pose_check_views)) != len(self.pose_check_views):
            raise ValueError("pose_check_views: a pose is listed twice")
        return self

    def sole_found(self, photo_prob: float | np.ndarray, crop_prob: float | np.ndarray) -> bool | np.ndarray:
        """Pass 1 must see a sole in the photo, and pass 2's closer look at the found box must not be sure there is none."""
        return (photo_prob >= self.min_sole_probability) & (crop_prob >= self.min_crop_sole_probability)


class Pair(_Strict):
    asymmetry_flag: float = Field(gt=0, le=1)
    split_min_aspect: float = Field(gt=0, le=1)
    portrait_min_aspect: float = Field(gt=0, le=1)


class SeverityBand(_Strict):
    below: float
    words: str
    pattern_readable: bool = True  # False: too little wear to show a runner's pattern


class CaseLog(_Strict):
    """The clinic case log (`inference.cases`): off unless a clinician turns it on."""

    enabled: bool = False
    # A SQLite file (created owner-only) or a SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db.
    database: str
    # Where photos are kept under their content hash; None: a folder beside a SQLite file.
    photos: str | None = None
    # A zone whose wear grew this much more than the sole's average since the last visit is pointed out.
    faster_than_rest: float = Field(gt=0, le=1)


class InferenceSettings(_Strict):
    quality: Quality
    pair: Pair
    case_log: CaseLog
    severity: tuple[SeverityBand, ...]
    worn_through_zone: float = Field(gt=0, le=1)
    flag_messages: dict[str, str]
    # Why a sole is unsure (`unsure_reasons`), said instead of the general low_confidence message.
    unsure_messages: dict[Literal["too_new", "weak", "changes_when_turned"], str]

    @model_validator(mode="after")
    def _known_flags(self) -> "InferenceSettings":
        unknown = set(self.quality.unusable) - set(load_taxonomy().quality_flags)
        if unknown:
            raise ValueError(f"quality.unusable names unknown flags {sorted(unknown)}")
        flags = set(load_taxonomy().quality_flags)
        if set(self.flag_messages) != flags:
            raise ValueError(f"flag_messages must explain exactly the taxonomy's flags {sorted(flags)}")
        if [b.below for b in self.severity] != sorted(b.below for b in self.severity) or self.severity[-1].below <= 1:
            raise ValueError("severity bands must rise and end above 1")
        return self

    def band_index(self, severity: float | np.ndarray) -> int | np.ndarray:
        """Which severity band a severity (or an array of them) falls in: the first whose `below` it is under."""
        edges = np.array([b.below for b in self.severity])
        band = np.minimum(np.searchsorted(edges, severity, side="right"), len(edges) - 1)
        return int(band) if band.ndim == 0 else band

    def severity_words(self, severity: float) -> str:
        return self.severity[self.band_index(severity)].words

    def pattern_readable(self, severity: float | np.ndarray) -> bool | np.ndarray:
        """Whether a sole this worn can show its runner's pattern at all (the band's `pattern_readable`)."""
        readable = np.array([b.pattern_readable for b in self.severity])[self.band_index(severity)]
        return bool(readable) if readable.ndim == 0 else readable

    def unsure_reasons(self, confidence: float, severity: float, pose_agrees: bool = True) -> list[str]:
        """Which parts of the low-confidence rule apply to one sole, as keys of `unsure_messages`."""
        reasons = [] if self.pattern_readable(severity) else ["too_new"]
        if confidence < self.quality.min_confidence:
            reasons.append("weak")
        if not pose_agrees:
            reasons.append("changes_when_turned")
        return reasons

    def low_confidence(self, confidence: float | np.ndarray, severity: float | np.ndarray,
                       pose_agrees: bool | np.ndarray = True) -> bool | np.ndarray:
        """The one rule for the `low_confidence` flag (Predictor and evaluation alike).

        Unsure when the top class probability is low; when the model reads the
        sole as so little worn that no pattern can show yet (a nearly new sole can
        look confidently like anything: MODEL_CARD.md, by severity); and when the
        class changes as the same photo is read turned or mirrored
        (`forward.pose_agreement`) - the one sign of doubt that does not trust the
        model's own probabilities, which stay high on photos unlike its training data.
        """
        unsure = ((np.asarray(confidence) < self.quality.min_confidence) | ~np.asarray(self.pattern_readable(severity))
                  | ~np.asarray(pose_agrees, bool))
        return bool(unsure) if unsure.ndim == 0 else unsure


@lru_cache(maxsize=None)
def load_inference_settings(name: str = "inference") -> InferenceSettings:
    return validated(load_yaml(name), InferenceSettings, "the inference config")
