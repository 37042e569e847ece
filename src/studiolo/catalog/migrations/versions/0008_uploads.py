"""Who uploaded each input image, so an upload is used only by the person who sent it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

Matches the `uploads` table of studiolo/catalog/schema.py. Uploads made before this
revision have no row: their people upload them again (the same bytes keep their hash).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("sha256", sa.String(64)),
        sa.Column("person_id", sa.Integer),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "person_id", name="pk_uploads"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_uploads_person_id_people",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_uploads_person_id", "uploads", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_uploads_person_id", table_name="uploads")
    op.drop_table("uploads")
