"""The case log's tables: a case (one runner, by pseudonym), its visits, and each shoe read at a visit.

The schema is versioned by Alembic (`migrations/`); a test checks that these
classes and the migrations describe the same tables, so a column added here
without a migration fails the suite instead of a clinic's database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Longest pseudonymous case id; long enough for a clinic's own numbering, too short for free text.
CASE_ID_LENGTH = 40
NOTES_LENGTH = 2000


class Base(DeclarativeBase):
    pass


class Case(Base):
    """One runner, known only by a pseudonymous id the clinic chose (never a name)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(CASE_ID_LENGTH), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    visits: Mapped[list[Visit]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                               order_by="(Visit.visit_date, Visit.id)")


class Visit(Base):
    """One appointment: the date, the runner's consent and the clinician's notes."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    case: Mapped[Case] = relationship(back_populates="visits")
    shoes: Mapped[list[ShoeReading]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                                    order_by="ShoeReading.side")


class ShoeReading(Base):
    """One shoe at one visit: its photo (by content hash), the model's reading and the clinician's label."""

    __tablename__ = "shoe_readings"
    __table_args__ = (UniqueConstraint("visit_pk", "side", name="uq_shoe_readings_visit_side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_pk: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), nullable=False, index=True)
    side: Mapped[str] = mapped_column(String(8), nullable=False)
    photo_sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    result: Mapped[dict] = mapped_column(JSON, nullable=False)            # the model's Prediction as JSON
    model_version: Mapped[str] = mapped_column(String(64), nullable=False)  # checkpoint hash
    clinician_label: Mapped[str | None] = mapped_column(String(32), nullable=True)  # a class id, "unsure" or None
    zone_corrections: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    mileage_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    visit: Mapped[Visit] = relationship(back_populates="shoes")
