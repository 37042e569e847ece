"""Exhibitions: works chosen by a theme, hung in ordered rooms, shareable by a random token.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Matches the `exhibitions`, `exhibition_rooms` and `exhibition_items` tables of
studiolo/catalog/schema.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exhibitions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("theme", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("share_token", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exhibitions"),
        sa.ForeignKeyConstraint(["owner_id"], ["people.id"], name="fk_exhibitions_owner_id_people"),
        sa.UniqueConstraint("share_token", name="uq_exhibitions_share_token"),
    )
    op.create_index("ix_exhibitions_owner_id_created", "exhibitions", ["owner_id", "created"])
    op.create_table(
        "exhibition_rooms",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("exhibition_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("tour_length", sa.Float),
        sa.Column("random_length", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_exhibition_rooms"),
        sa.ForeignKeyConstraint(["exhibition_id"], ["exhibitions.id"], ondelete="CASCADE",
                                name="fk_exhibition_rooms_exhibition_id_exhibitions"),
        sa.UniqueConstraint("exhibition_id", "position",
                            name="uq_exhibition_rooms_exhibition_id_position"),
    )
    op.create_table(
        "exhibition_items",
        sa.Column("room_id", sa.Integer),
        sa.Column("position", sa.Integer),
        sa.Column("artwork_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("room_id", "position", name="pk_exhibition_items"),
        sa.ForeignKeyConstraint(["room_id"], ["exhibition_rooms.id"], ondelete="CASCADE",
                                name="fk_exhibition_items_room_id_exhibition_rooms"),
        sa.ForeignKeyConstraint(["artwork_id"], ["artworks.id"], ondelete="CASCADE",
                                name="fk_exhibition_items_artwork_id_artworks"),
    )
    op.create_index("ix_exhibition_items_artwork_id", "exhibition_items", ["artwork_id"])


def downgrade() -> None:
    op.drop_index("ix_exhibition_items_artwork_id", table_name="exhibition_items")
    op.drop_table("exhibition_items")
    op.drop_table("exhibition_rooms")
    op.drop_index("ix_exhibitions_owner_id_created", table_name="exhibitions")
    op.drop_table("exhibitions")
