"""The safety filter's verdicts: one row per checked artwork (capabilities/safety).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Matches the `safety_checks` table of studiolo/catalog/schema.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "safety_checks",
        sa.Column("artwork_id", sa.String(64)),
        sa.Column("classifier", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("flagged", sa.Boolean, nullable=False),
        sa.Column("preview_sha", sa.String(64)),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("artwork_id", name="pk_safety_checks"),
        sa.ForeignKeyConstraint(["artwork_id"], ["artworks.id"], ondelete="CASCADE",
                                name="fk_safety_checks_artwork_id_artworks"),
    )
    op.create_index("ix_safety_checks_flagged", "safety_checks", ["flagged"])


def downgrade() -> None:
    op.drop_index("ix_safety_checks_flagged", table_name="safety_checks")
    op.drop_table("safety_checks")
