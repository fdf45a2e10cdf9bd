"""Validated view of `configs/generator.yaml`.

Class ids in the gait table must be exactly the taxonomy's: a class the
generator cannot draw, or a draw for a class the model does not know, is a
configuration error caught at load time.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inference.config import load_yaml, validated
from inference.taxonomy import load_taxonomy

Range = tuple[float, float]

#: Which way abraded rubber changes colour (appearance.py), in words for people: bands of a continuous tone.
WORN_LOOKS = {
    "dusty": "dusty (dark rubber lightens, light rubber greys)",
    "grimy": "grimy (rubbed rubber darkens)",
    "bare": "bare (about its own colour: flattened lugs, streaks and polish show)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathPoint(_Strict):
    u: Range
    v: Range
    load: Range
    slip: Range


class GaitDistribution(_Strict):
    """One class: five centre-of-pressure control points from landing to toe-off."""

    landing: PathPoint
    heel_roll: PathPoint
    midstance: PathPoint
    ball: PathPoint
    toe_off: PathPoint
    arch_contact: Range

    @property
    def points(self) -> tuple[PathPoint, ...]:
        return (self.landing, self.heel_roll, self.midstance, self.ball, self.toe_off)


class MileageStage(_Strict):
    p: float = Field(ge=0)
    km: Range


class Surface(_Strict):
    p: float = Field(ge=0)
    abrasion: float = Field(gt=0)
    dirt: Range


class Runner(_Strict):
    mileage_km: dict[str, MileageStage]
    body_mass_kg: Range
    surfaces: dict[str, Surface]
    mix_probability: float = Field(ge=0, le=1)
    mix_weight: Range
    mix_min_share: float = Field(gt=0.5, lt=1)
    abrasion_mm: float = Field(gt=0)


class Outsole(_Strict):
    """How the rubber shows its first wear (see appearance.py)."""

    skin_mm: Range = Field(description="depth lost (mm) by which the moulded finish is fully rubbed off")
    scuff_exponent: float = Field(gt=0, le=1, description="how the rubbed look grows with the depth lost (a power below 1: early)")
    scuff_tint: Range = Field(description="how far fully scuffed rubber moves towards the worn look's colour")
    worn_look: dict[str, float] = Field(
        description="share of shoes whose abraded rubber turns dusty, darker (grimy), or keeps its colour (bare)")
    grime_keep: Range = Field(description="grimy look: rubbed rubber is mixed towards this share of its own brightness")

    @model_validator(mode="after")
    def _known_looks(self) -> "Outsole":
        unknown = sorted(set(self.worn_look) - set(WORN_LOOKS))
        if unknown:
            raise ValueError(f"outsole.worn_look: unknown look(s) {unknown}; known: {list(WORN_LOOKS)}")
        if any(p < 0 for p in self.worn_look.values()) or sum(self.worn_look.values()) <= 0:
            raise ValueError("outsole.worn_look: shares must be non-negative and not all zero")
        return self


class RotationMode(_Strict):
    p: float = Field(ge=0)
    jitter: float = 0.0


class Photo(_Strict):
    size: tuple[int, int]
    right_shoe: float = Field(ge=0, le=1)
    rotation: dict[str, RotationMode]
    max_tilt_deg: float = Field(ge=0, le=45)
    sole_fill: Range
    cutoff: float = Field(ge=0, le=1)
    ruler: float = Field(ge=0, le=1)
    label_card: float = Field(ge=0, le=1)
    hand: float = Field(ge=0, le=1)
    clutter: float = Field(ge=0, le=1)
    pair: float = Field(ge=0, le=1)
    in_hand: float = Field(ge=0, le=1)
    motion_blur: float = Field(ge=0, le=1)
    low_light: float = Field(ge=0, le=1)
    jpeg_quality: tuple[int, int]


class HeldOutStyle(_Strict):
    """Appearance values kept out of a leave-style-out recipe's training soles (training.generator.style)."""

    tread_family: list[str]
    construction: list[str]
    rubber: list[str]
    background: list[str]
    worn_look: list[str]
    light_elevation_deg: Range


class GeneratorSettings(_Strict):
    gait: dict[str, GaitDistribution]
    runner: Runner
    outsole: Outsole
    photo: Photo
    held_out_style: HeldOutStyle

    @model_validator(mode="after")
    def _classes_match_taxonomy(self) -> "GeneratorSettings":
        known = load_taxonomy().class_ids
        if sorted(self.gait) != sorted(known):
            raise ValueError(f"gait table classes {sorted(self.gait)} must equal the taxonomy's {sorted(known)}")
        if set(self.photo.rotation) != {"toe_up", "toe_down", "sideways", "any"}:
            raise ValueError("photo.rotation needs toe_up, toe_down, sideways and any")
        return self


@lru_cache(maxsize=None)
def load_settings(name: str = "generator") -> GeneratorSettings:
    return validated(load_yaml(name), GeneratorSettings, "the generator config")
