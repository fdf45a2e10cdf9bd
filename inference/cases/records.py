"""Read-only snapshots of the case log (what pages, charts, reports and the export work from).

They hold plain values, so the app can keep them across reruns without a
database session, and a change of the tables does not ripple into the UI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inference.cases.schema import Case, ShoeReading, Visit


@dataclass(frozen=True)
class ShoeRecord:
    pk: int
    side: str
    photo_sha256: str
    result: dict                       # the model's reading, as Prediction.to_dict() gave it
    model_version: str
    clinician_label: str | None
    zone_corrections: dict[str, float]
    mileage_km: float | None

    @property
    def model_label(self) -> str | None:
        return self.result.get("label")

    @property
    def zones(self) -> dict[str, float]:
        """The zone scores to follow over time: the model's, with the clinician's corrections on top."""
        return {**(self.result.get("zones") or {}), **self.zone_corrections}

    @property
    def severity(self) -> float | None:
        return self.result.get("severity")

    @classmethod
    def of(cls, row: ShoeReading) -> "ShoeRecord":
        return cls(row.id, row.side, row.photo_sha256, dict(row.result), row.model_version, row.clinician_label,
                   dict(row.zone_corrections or {}), row.mileage_km)


@dataclass(frozen=True)
class VisitRecord:
    pk: int
    visit_date: dt.date
    consent_at: dt.datetime
    notes: str
    shoes: tuple[ShoeRecord, ...]

    def shoe(self, side: str) -> ShoeRecord | None:
        return next((s for s in self.shoes if s.side == side), None)

    @classmethod
    def of(cls, row: Visit) -> "VisitRecord":
        return cls(row.id, row.visit_date, row.consent_at, row.notes, tuple(ShoeRecord.of(s) for s in row.shoes))


@dataclass(frozen=True)
class CaseRecord:
    case_id: str
    created_at: dt.datetime
    visits: tuple[VisitRecord, ...]    # oldest first

    @classmethod
    def of(cls, row: Case) -> "CaseRecord":
        return cls(row.case_id, row.created_at, tuple(VisitRecord.of(v) for v in row.visits))


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    visits: int
    first_visit: dt.date | None
    last_visit: dt.date | None
