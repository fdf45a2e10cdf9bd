"""The case log: save consented visits, find and open cases, correct labels, delete with their photos.

Every write is one transaction through the ORM (no SQL text is ever built
from a value). A case id that two sessions create at the same moment ends
as one case holding both visits. Deleting removes the rows and every photo
no remaining reading cites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from inference.cases.database import CaseLogError, database_url, make_engine, photo_folder, ready
from inference.cases.entries import ShoeEntry, VisitEntry, check_label, check_zone_corrections, checked
from inference.cases.photos import PhotoStore
from inference.cases.records import CaseRecord, CaseSummary, ShoeRecord
from inference.cases.schema import Case, ShoeReading, Visit
from inference.decode import ImageError
from inference.settings import CaseLog as CaseLogSettings


class CaseLog:
    def __init__(self, engine: Engine, photos: PhotoStore) -> None:
        self.engine = engine
        self.photos = photos

    @classmethod
    def open(cls, settings: CaseLogSettings) -> "CaseLog":
        """The configured log, its schema created when new (a newer or older schema is refused with why)."""
        engine = make_engine(database_url(settings.database))
        ready(engine)
        return cls(engine, PhotoStore(photo_folder(settings)))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    # ------------------------------------------------------------------ writing
    def save_visit(self, *, case_id: str, visit_date: dt.date, consent: bool, shoes: Sequence[dict],
                   model_version: str, notes: str = "") -> int:
        """Store one visit (photos, readings, labels) under a case, created if new; returns the visit's key.

        `shoes`: one mapping per shoe with the fields of `ShoeEntry`; `model_version`:
        the hash of the checkpoint that made the readings. Nothing is written unless
        every field is valid and consent is given.
        """
        entry: VisitEntry = checked(VisitEntry, case_id=case_id, visit_date=visit_date, consent=consent,
                                    notes=notes, shoes=[checked(ShoeEntry, **s) for s in shoes])
        try:
            hashes = [self.photos.put(shoe.photo) for shoe in entry.shoes]
        except ImageError as exc:
            raise CaseLogError(f"a photo could not be stored: {exc}") from None
        for attempt in range(2):
            try:
                return self._insert_visit(entry, hashes, model_version)
            except IntegrityError:
                if attempt:       # the case row another session created is there now; a second clash is real
                    raise
        raise AssertionError("unreachable")

    def _insert_visit(self, entry: VisitEntry, hashes: list[str], model_version: str) -> int:
        now = dt.datetime.now(dt.timezone.utc)
        with self._session() as session:
            case = session.scalar(select(Case).where(Case.case_id == entry.case_id))
            if case is None:
                case = Case(case_id=entry.case_id, created_at=now)
                session.add(case)
            visit = Visit(case=case, visit_date=entry.visit_date, consent_at=now, notes=entry.notes)
            for shoe, sha in zip(entry.shoes, hashes):
                visit.shoes.append(ShoeReading(
                    side=shoe.side, photo_sha256=sha, result=shoe.result,
                    model_version=model_version,
                    clinician_label=shoe.clinician_label, zone_corrections=shoe.zone_corrections,
                    mileage_km=shoe.mileage_km))
            session.add(visit)
            session.flush()
            return visit.id

    def correct(self, reading_pk: int, label: str | None, zone_corrections: dict[str, float] | None = None) -> None:
        """Set the clinician's label (a class, 'unsure' or None) and, if given, the zone corrections."""
        label = check_label(label)
        zones = check_zone_corrections(zone_corrections) if zone_corrections is not None else None
        with self._session() as session:
            reading = session.get(ShoeReading, reading_pk)
            if reading is None:
                raise KeyError(f"no shoe reading {reading_pk}")
            reading.clinician_label = label
            if zones is not None:
                reading.zone_corrections = zones

    def delete_visit(self, visit_pk: int) -> None:
        """Remove a visit and the photos no other reading cites (a case left empty goes too)."""
        with self._session() as session:
            visit = session.get(Visit, visit_pk)
            if visit is None:
                return
            hashes = {s.photo_sha256 for s in visit.shoes}
            case = visit.case
            session.delete(visit)
            session.flush()
            if not session.scalar(select(func.count(Visit.id)).where(Visit.case_pk == case.id)):
                session.delete(case)
        self._discard_unused(hashes)

    def delete_case(self, case_id: str) -> None:
        """Remove a case, all its visits and readings, and the photos nothing else cites."""
        with self._session() as session:
            case = session.scalar(select(Case).where(Case.case_id == case_id))
            if case is None:
                return
            hashes = {s.photo_sha256 for v in case.visits for s in v.shoes}
            session.delete(case)
        self._discard_unused(hashes)

    def _discard_unused(self, hashes: set[str]) -> None:
        with self._session() as session:
            used = set(session.scalars(select(ShoeReading.photo_sha256).where(ShoeReading.photo_sha256.in_(hashes))))
        for sha in hashes - used:
            self.photos.discard(sha)

    # ------------------------------------------------------------------ reading
    def cases(self, search: str = "", since: dt.date | None = None, until: dt.date | None = None) -> list[CaseSummary]:
        """Cases whose id contains `search` with a visit between the dates, most recently seen first."""
        query = (select(Case.case_id, func.count(Visit.id), func.min(Visit.visit_date), func.max(Visit.visit_date))
                 .join(Visit, Visit.case_pk == Case.id).group_by(Case.id, Case.case_id))
        if search.strip():
            query = query.where(func.lower(Case.case_id).contains(search.strip().lower(), autoescape=True))
        if since is not None:
            query = query.where(Visit.visit_date >= since)
        if until is not None:
            query = query.where(Visit.visit_date <= until)
        with self._session() as session:
            rows = session.execute(query).all()
        return sorted((CaseSummary(*row) for row in rows), key=lambda c: (c.last_visit, c.case_id), reverse=True)

    def case(self, case_id: str) -> CaseRecord | None:
        with self._session() as session:
            row = session.scalar(select(Case).where(Case.case_id == case_id)
                                 .options(selectinload(Case.visits).selectinload(Visit.shoes)))
            return CaseRecord.of(row) if row is not None else None

    def readings(self) -> list[tuple[str, dt.date, ShoeRecord]]:
        """Every shoe reading as (case id, visit date, reading), for the export."""
        with self._session() as session:
            rows = session.execute(select(Case.case_id, Visit.visit_date, ShoeReading)
                                   .join(Visit, ShoeReading.visit_pk == Visit.id)
                                   .join(Case, Visit.case_pk == Case.id)
                                   .order_by(Case.case_id, Visit.visit_date, ShoeReading.side)).all()
            return [(case_id, date, ShoeRecord.of(reading)) for case_id, date, reading in rows]

    def counts(self) -> dict[str, int]:
        """Rows per table (tests and `solewear cases list` use it)."""
        with self._session() as session:
            return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                    for table in (Case, Visit, ShoeReading)}

