"""The opt-out registry: artists and styles whose owners do not consent to AI use.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Matches the `optouts` table of studiolo/catalog/schema.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
# Written against 0002_marks.py (another change in flight); until that file is here the
# chain is 0001 -> 0003. Once 0002_marks.py is committed this line is just "0002".
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "optouts",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_optouts"),
        sa.UniqueConstraint("key", name="uq_optouts_key"),
        sa.CheckConstraint("kind IN ('artist', 'style')", name="ck_optouts_kind"),
    )


def downgrade() -> None:
    op.drop_table("optouts")
