"""Reference collections of the analysis: their works (artist, title, year) and embeddings.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Matches the `reference_collections`, `reference_works` and `reference_vectors` tables of
studiolo/catalog/schema.py (capabilities/analyse/catalogued.py reads and writes them).
Collections indexed before this revision live in STUDIOLO_HOME/collections/<name>/ and are
copied in on first use.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_collections",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("kinds", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_reference_collections"),
    )
    op.create_table(
        "reference_works",
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("file", sa.String(1000), nullable=False),
        sa.Column("artist", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("year", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("collection", "sha256", name="pk_reference_works"),
        sa.ForeignKeyConstraint(["collection"], ["reference_collections.name"],
                                name="fk_reference_works_collection_reference_collections",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_reference_works_collection_artist", "reference_works",
                    ["collection", "artist"])
    op.create_table(
        "reference_vectors",
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("collection", "sha256", "kind", name="pk_reference_vectors"),
        sa.ForeignKeyConstraint(["collection", "sha256"],
                                ["reference_works.collection", "reference_works.sha256"],
                                name="fk_reference_vectors_collection_reference_works",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("reference_vectors")
    op.drop_index("ix_reference_works_collection_artist", table_name="reference_works")
    op.drop_table("reference_works")
    op.drop_table("reference_collections")
