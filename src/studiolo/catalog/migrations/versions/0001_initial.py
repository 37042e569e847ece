"""The first catalog: people, recipes, artworks, credits, parents, jobs, collections, tags.

Revision ID: 0001
Revises:
Create Date: 2025-11-23

Written by hand to match studiolo/catalog/schema.py as it was at 0001; the
test suite checks the two agree. Plain DateTime(timezone=True) here: the
UTC handling of schema.UTCDateTime is Python-side only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("name", name="uq_people_name"),
    )
    op.create_table(
        "recipes",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("json", sa.Text, nullable=False),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("model", sa.Text),
        sa.Column("model_hash", sa.String(64)),
        sa.Column("seed", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_recipes"),
    )
    op.create_table(
        "artworks",
        sa.Column("id", sa.String(64)),
        sa.Column("owner_id", sa.Integer),
        sa.Column("recipe_id", sa.Integer, nullable=False),
        sa.Column("ext", sa.String(10), nullable=False),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("title", sa.Text),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("created", _when(), nullable=False),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artworks"),
        sa.ForeignKeyConstraint(["owner_id"], ["people.id"], name="fk_artworks_owner_id_people"),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_artworks_recipe_id_recipes"
        ),
    )
    op.create_index("ix_artworks_created", "artworks", ["created"])
    op.create_index("ix_artworks_owner_id_created", "artworks", ["owner_id", "created"])
    op.create_index("ix_artworks_engine", "artworks", ["engine"])
    op.create_index("ix_artworks_recipe_id", "artworks", ["recipe_id"])

    op.create_table(
        "credits",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("artwork_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("ref", sa.Text),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credits"),
        sa.ForeignKeyConstraint(
            ["artwork_id"], ["artworks.id"], ondelete="CASCADE",
            name="fk_credits_artwork_id_artworks",
        ),
    )
    op.create_index("ix_credits_artwork_id", "credits", ["artwork_id"])
    op.create_index("ix_credits_name", "credits", ["name"])

    op.create_table(
        "artwork_parents",
        sa.Column("artwork_id", sa.String(64)),
        sa.Column("position", sa.Integer),
        sa.Column("parent_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("artwork_id", "position", name="pk_artwork_parents"),
        sa.ForeignKeyConstraint(
            ["artwork_id"], ["artworks.id"], ondelete="CASCADE",
            name="fk_artwork_parents_artwork_id_artworks",
        ),
    )
    op.create_index("ix_artwork_parents_parent_id", "artwork_parents", ["parent_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("result_ids", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created", _when(), nullable=False),
        sa.Column("updated", _when(), nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_status_created", "jobs", ["status", "created"])
    op.create_index("ix_jobs_created", "jobs", ["created"])

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("created", _when(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_collections"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name="fk_collections_owner_id_people"
        ),
        sa.CheckConstraint("kind IN ('board', 'exhibition')", name="ck_collections_kind"),
        sa.UniqueConstraint("owner_id", "name", name="uq_collections_owner_id_name"),
    )

    op.create_table(
        "collection_items",
        sa.Column("collection_id", sa.Integer),
        sa.Column("artwork_id", sa.String(64)),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("collection_id", "artwork_id", name="pk_collection_items"),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], ondelete="CASCADE",
            name="fk_collection_items_collection_id_collections",
        ),
        sa.ForeignKeyConstraint(
            ["artwork_id"], ["artworks.id"], ondelete="CASCADE",
            name="fk_collection_items_artwork_id_artworks",
        ),
    )
    op.create_index("ix_collection_items_artwork_id", "collection_items", ["artwork_id"])

    op.create_table(
        "tags",
        sa.Column("artwork_id", sa.String(64)),
        sa.Column("tag", sa.String(100)),
        sa.PrimaryKeyConstraint("artwork_id", "tag", name="pk_tags"),
        sa.ForeignKeyConstraint(
            ["artwork_id"], ["artworks.id"], ondelete="CASCADE",
            name="fk_tags_artwork_id_artworks",
        ),
    )
    op.create_index("ix_tags_tag", "tags", ["tag"])


def downgrade() -> None:
    for table in ("tags", "collection_items", "collections", "jobs", "artwork_parents",
                  "credits", "artworks", "recipes", "people"):
        op.drop_table(table)
