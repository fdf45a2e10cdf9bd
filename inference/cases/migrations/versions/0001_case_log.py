"""The case log: cases, visits, shoe readings.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(40), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_pk", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
    )
    op.create_index("ix_visits_case_pk", "visits", ["case_pk"])
    op.create_table(
        "shoe_readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("visit_pk", sa.Integer(), sa.ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("clinician_label", sa.String(32), nullable=True),
        sa.Column("zone_corrections", sa.JSON(), nullable=False),
        sa.Column("mileage_km", sa.Float(), nullable=True),
        sa.UniqueConstraint("visit_pk", "side", name="uq_shoe_readings_visit_side"),
    )
    op.create_index("ix_shoe_readings_visit_pk", "shoe_readings", ["visit_pk"])
    op.create_index("ix_shoe_readings_photo_sha256", "shoe_readings", ["photo_sha256"])


def downgrade() -> None:
    op.drop_table("shoe_readings")
    op.drop_table("visits")
    op.drop_table("cases")
