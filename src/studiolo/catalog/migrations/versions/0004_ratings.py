"""Ratings (pairs, likes, stars) and fitted taste profiles, per person.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Matches the `ratings` and `taste_profiles` tables of studiolo/catalog/schema.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("artwork_id", sa.String(64), nullable=False),
        sa.Column("other_id", sa.String(64), nullable=True),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ratings"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_ratings_person_id_people"),
        sa.ForeignKeyConstraint(
            ["artwork_id"], ["artworks.id"], ondelete="CASCADE",
            name="fk_ratings_artwork_id_artworks",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["artworks.id"], ondelete="CASCADE",
            name="fk_ratings_other_id_artworks",
        ),
        sa.CheckConstraint(
            "(kind = 'pair' AND other_id IS NOT NULL AND value = 1) OR "
            "(kind = 'like' AND other_id IS NULL AND value IN (-1, 1)) OR "
            "(kind = 'stars' AND other_id IS NULL AND value BETWEEN 1 AND 5)",
            name="ck_ratings_kind_value",
        ),
    )
    op.create_index("ix_ratings_person_id_created", "ratings", ["person_id", "created"])
    op.create_index("ix_ratings_artwork_id", "ratings", ["artwork_id"])
    op.create_index("ix_ratings_other_id", "ratings", ["other_id"])
    op.create_table(
        "taste_profiles",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("embedder", sa.String(200), nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("n_pairs", sa.Integer, nullable=False),
        sa.Column("accuracy", sa.Float, nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_taste_profiles"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_taste_profiles_person_id_people"
        ),
        sa.UniqueConstraint(
            "person_id", "name", "version", name="uq_taste_profiles_person_id_name_version"
        ),
    )


def downgrade() -> None:
    op.drop_table("taste_profiles")
    op.drop_index("ix_ratings_other_id", table_name="ratings")
    op.drop_index("ix_ratings_artwork_id", table_name="ratings")
    op.drop_index("ix_ratings_person_id_created", table_name="ratings")
    op.drop_table("ratings")
