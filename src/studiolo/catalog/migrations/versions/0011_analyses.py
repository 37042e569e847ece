"""Analyses of artworks: colour, composition, brushwork, attribution and authenticity.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Matches the `analyses` table of studiolo/catalog/schema.py (capabilities/analyse/stored.py
writes it). Self-contained, so that the merger can renumber it into the chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyses",
        sa.Column("artwork_id", sa.String(64)),
        sa.Column("collection", sa.String(64)),
        sa.Column("claimed", sa.String(200)),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("artwork_id", "collection", "claimed", name="pk_analyses"),
        sa.ForeignKeyConstraint(["artwork_id"], ["artworks.id"],
                                name="fk_analyses_artwork_id_artworks", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("analyses")
