"""What a clinician hands the case log, checked field by field before anything is stored.

A case id is a pseudonym the clinic chose. It cannot be a name (no spaces),
and one that looks like an e-mail address or a phone number is refused: the
log must never become a list of contact details.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inference.cases.database import CaseLogError
from inference.cases.schema import CASE_ID_LENGTH, NOTES_LENGTH
from inference.taxonomy import load_taxonomy

UNSURE = "unsure"
_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PHONE_CHARACTERS = re.compile(r"[+0-9 ().-]+")
#: The oldest visit date accepted (typos such as 0202 for 2026 are caught).
EARLIEST_VISIT = dt.date(2000, 1, 1)
MAX_MILEAGE_KM = 10_000.0


def check_case_id(value: str) -> str:
    """The case id as stored, or a CaseLogError saying what is wrong with it."""
    value = value.strip()
    if "@" in value:
        raise CaseLogError("a case id must not be an e-mail address: use a pseudonym such as RUN-0042")
    if _PHONE_CHARACTERS.fullmatch(value) and sum(c.isdigit() for c in value) >= 7:
        raise CaseLogError("a case id must not be a phone number: use a pseudonym such as RUN-0042")
    if not 1 <= len(value) <= CASE_ID_LENGTH or not _CASE_ID.fullmatch(value):
        raise CaseLogError(f"a case id is 1-{CASE_ID_LENGTH} letters, digits, '.', '_' or '-' without spaces "
                           "(a pseudonym such as RUN-0042, never a name)")
    return value


def check_label(value: str | None) -> str | None:
    """A clinician's label: a class id, 'unsure', or None (not labelled)."""
    if value is not None and value not in (*load_taxonomy().class_ids, UNSURE):
        raise CaseLogError(f"unknown label {value!r}: use one of {[*load_taxonomy().class_ids, UNSURE]}")
    return value


def check_zone_corrections(values: dict[str, float]) -> dict[str, float]:
    """Zone corrections by zone id, each a wear score in [0, 1]."""
    zones = load_taxonomy().zone_ids
    unknown = sorted(set(values) - set(zones))
    if unknown:
        raise CaseLogError(f"unknown zone(s) {unknown}: zones are {list(zones)}")
    out = {}
    for zone, score in values.items():
        if not 0.0 <= float(score) <= 1.0:
            raise CaseLogError(f"the wear score of {zone} must lie between 0 (new) and 1 (worn through), not {score}")
        out[zone] = round(float(score), 4)
    return out


class ShoeEntry(BaseModel):
    """One shoe at a visit: the uploaded photo, the model's reading and what the clinician adds."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    side: str
    photo: bytes = Field(repr=False)
    result: dict                                # Prediction.to_dict()
    clinician_label: str | None = None
    zone_corrections: dict[str, float] = Field(default_factory=dict)
    mileage_km: float | None = Field(default=None, ge=0, le=MAX_MILEAGE_KM)

    _label = field_validator("clinician_label")(check_label)
    _zones = field_validator("zone_corrections")(check_zone_corrections)

    @field_validator("result")
    @classmethod
    def _without_file_name(cls, value: dict) -> dict:
        # An upload's file name can carry a person's name ("jane-left.jpg"): the log keeps the reading only.
        return {k: v for k, v in value.items() if k != "path"}

    @field_validator("side")
    @classmethod
    def _side(cls, value: str) -> str:
        if value not in load_taxonomy().sides:
            raise CaseLogError(f"side must be one of {load_taxonomy().sides}, not {value!r}")
        return value


class VisitEntry(BaseModel):
    """One visit of a case: the runner's consent is part of the entry, not an afterthought."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    visit_date: dt.date
    consent: bool
    notes: str = Field(default="", max_length=NOTES_LENGTH)
    shoes: list[ShoeEntry] = Field(min_length=1, max_length=2)

    _case_id = field_validator("case_id")(check_case_id)

    @field_validator("visit_date")
    @classmethod
    def _date(cls, value: dt.date) -> dt.date:
        if not EARLIEST_VISIT <= value <= dt.date.today() + dt.timedelta(days=1):
            raise CaseLogError(f"the visit date {value.isoformat()} is not a plausible date (not in the future, "
                               f"not before {EARLIEST_VISIT.year})")
        return value

    @model_validator(mode="after")
    def _consented_and_one_photo_per_side(self) -> "VisitEntry":
        if not self.consent:
            raise CaseLogError("nothing was saved: the runner's consent has not been ticked")
        sides = [s.side for s in self.shoes]
        if len(set(sides)) != len(sides):
            raise CaseLogError("a visit holds one photo per shoe: the same side was given twice")
        return self


def checked(model: type[BaseModel], **fields) -> BaseModel:
    """Build an entry; every problem comes back as one CaseLogError in words."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            cause = error.get("ctx", {}).get("error")
            where = ".".join(str(p) for p in error["loc"])
            problems.append(str(cause) if isinstance(cause, CaseLogError) else f"{where}: {error['msg']}")
        raise CaseLogError("; ".join(problems)) from None
