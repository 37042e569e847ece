"""Watermark marks: the short id hidden in an artwork's pixels, and the artwork it names.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-23

Matches the `marks` table of studiolo/catalog/schema.py. The mark is a
BIGINT (48 bits are used), not autoincremented: it is drawn at random.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marks",
        sa.Column("mark", sa.BigInteger, autoincrement=False),
        sa.Column("artwork_sha", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("mark", name="pk_marks"),
        sa.ForeignKeyConstraint(
            ["artwork_sha"], ["artworks.id"], ondelete="CASCADE",
            name="fk_marks_artwork_sha_artworks",
        ),
    )
    op.create_index("ix_marks_artwork_sha", "marks", ["artwork_sha"])


def downgrade() -> None:
    op.drop_index("ix_marks_artwork_sha", table_name="marks")
    op.drop_table("marks")
