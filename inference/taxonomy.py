"""The domain vocabulary: wear classes, sole zones and the canonical frame.

Loaded once from `configs/taxonomy.yaml` and checked against a schema, so a
typo in the config fails loudly at start-up instead of silently re-ordering a
model's outputs. Nothing else in the project spells a class or zone id.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from inference.config import load_yaml, validated

SNAKE_CASE = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Zone(_Strict):
    """One of the seven sole zones: a `v` band and a side of the local mid-line."""

    id: str = Field(pattern=SNAKE_CASE)
    v: tuple[float, float]
    side: Literal["both", "medial", "lateral"]
    label: str

    @field_validator("v")
    @classmethod
    def _band(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 <= v[0] < v[1] <= 1.0:
            raise ValueError(f"v band must satisfy 0 <= start < end <= 1, got {v}")
        return v

    def contains(self, u: float, v: float) -> bool:
        """Whether canonical coordinates (u across, v along) fall in this zone."""
        last_band = self.v[1] >= 1.0
        in_band = self.v[0] <= v < self.v[1] or (last_band and v == 1.0)
        if not in_band:
            return False
        if self.side == "both":
            return True
        return (u < 0.5) == (self.side == "medial")


class WearClass(_Strict):
    """A wear-pattern class with the plain words the product uses for it."""

    id: str = Field(pattern=SNAKE_CASE)
    label: str
    shows: str
    suggests: str


class CanonicalFrame(_Strict):
    side: Literal["left", "right"]
    view: Literal["from_below"]
    toe: Literal["up"]
    medial_on: Literal["left", "right"]


class Taxonomy(_Strict):
    """Everything docs/conventions.md sections 1-3 define, as validated data."""

    version: int
    canonical_frame: CanonicalFrame
    sides: tuple[str, ...]
    orientations: tuple[str, ...]
    zones: tuple[Zone, ...]
    classes: tuple[WearClass, ...]
    quality_flags: tuple[str, ...]
    severity_quantile: float = Field(gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _consistent(self) -> "Taxonomy":
        for name, ids in (
            ("zone", [z.id for z in self.zones]),
            ("class", [c.id for c in self.classes]),
            ("flag", list(self.quality_flags)),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {name} ids: {dupes}")
        if set(self.sides) != {"left", "right"} or len(self.sides) != 2:
            raise ValueError("sides must be exactly [left, right]")
        if len(self.orientations) != 4:
            raise ValueError("orientations must list the four 90-degree turns")
        if len(self.classes) < 2:
            raise ValueError("a classifier needs at least two classes")
        self._check_zone_cover()
        return self

    def _check_zone_cover(self) -> None:
        """Every point of the sole belongs to exactly one zone."""
        steps = [i / 40 + 1 / 80 for i in range(40)]
        for u in (0.25, 0.75):
            for v in steps:
                owners = [z.id for z in self.zones if z.contains(u, v)]
                if len(owners) != 1:
                    raise ValueError(f"zones must tile the sole: (u={u}, v={v:.3f}) lies in {owners or 'no zone'}")

    # Convenience views used all over the code base.
    @property
    def class_ids(self) -> list[str]:
        return [c.id for c in self.classes]

    @property
    def zone_ids(self) -> list[str]:
        return [z.id for z in self.zones]

    def wear_class(self, class_id: str) -> WearClass:
        for c in self.classes:
            if c.id == class_id:
                return c
        raise KeyError(f"unknown wear class {class_id!r}; known: {self.class_ids}")

    def zone(self, zone_id: str) -> Zone:
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise KeyError(f"unknown zone {zone_id!r}; known: {self.zone_ids}")

    def other_side(self, side: str) -> str:
        """The other shoe of the pair ("left" <-> "right")."""
        if side not in self.sides:
            raise KeyError(f"unknown side {side!r}; known: {list(self.sides)}")
        return self.sides[1 - self.sides.index(side)]

    def mirror_zone(self, zone_id: str) -> str:
        """The zone a horizontal flip maps this one onto (medial <-> lateral)."""
        z = self.zone(zone_id)
        if z.side == "both":
            return z.id
        other = "lateral" if z.side == "medial" else "medial"
        for cand in self.zones:
            if cand.v == z.v and cand.side == other:
                return cand.id
        raise ValueError(f"zone {zone_id!r} has no mirror partner")


def parse_taxonomy(data: dict) -> Taxonomy:
    """Validate a raw mapping; the error lists every problem at once."""
    return validated(data, Taxonomy, "the taxonomy config")


def nearest_quarter(rotation_deg: float) -> int:
    """The orientation (index in `orientations`: quarter turns, clockwise) nearest to a toe turned `rotation_deg` clockwise from up."""
    return int(np.round(rotation_deg / 90.0)) % 4


def off_quarter_deg(rotation_deg: float | np.ndarray) -> float | np.ndarray:
    """Degrees between a toe's rotation and its nearest quarter turn: 0 when aligned, 45 on a diagonal."""
    return np.abs((np.asarray(rotation_deg, float) + 45) % 90 - 45)


@lru_cache(maxsize=None)
def load_taxonomy(name: str = "taxonomy") -> Taxonomy:
    """The project's taxonomy (cached: it is read once per process)."""
    return parse_taxonomy(load_yaml(name))
