"""The catalog's tables (SQLAlchemy Core), portable across SQLite and PostgreSQL.

This is the shape the code expects; `migrations/versions/` is how a database
gets there. A test compares the migrated database with this file, so change
both together (a new table or column is a new migration, never an edit of
0001).

Choices that keep one schema portable: ids of artworks are sha256 hex text;
JSON is stored as text (the catalog never queries inside it); seeds are
BIGINT (they go up to 2**32, past a PostgreSQL INTEGER); datetimes are stored
as UTC and always come back timezone-aware (SQLite keeps no zone, so
`UTCDateTime` adds it back).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Names for constraints, so migrations on any backend can refer to them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

COLLECTION_KINDS = ("board", "exhibition")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the catalog; use UTC-aware ones")
        value = value.astimezone(UTC)
        # SQLite stores the wall time only; storing it in UTC keeps ordering right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created", UTCDateTime, nullable=False),
)

recipes = Table(
    "recipes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("json", Text, nullable=False),
    Column("engine", String(100), nullable=False),
    Column("model", Text),
    Column("model_hash", String(64)),
    Column("seed", BigInteger),
)

artworks = Table(
    "artworks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", Integer, ForeignKey("people.id")),
    Column("recipe_id", Integer, ForeignKey("recipes.id"), nullable=False),
    Column("ext", String(10), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("title", Text),
    Column("private", Boolean, nullable=False, default=False),
    Column("created", UTCDateTime, nullable=False),
    Column("engine", String(100), nullable=False),
    # Copied from the recipe so listing and search need no JSON parsing.
    Column("prompt", Text, nullable=False, default=""),
    Column("mode", String(40), nullable=False),
    # Substring search ("contains") cannot use a b-tree index; a trigram index
    # would be PostgreSQL-only, so prompt search scans (fine at personal scale).
    Index("ix_artworks_created", "created"),
    Index("ix_artworks_owner_id_created", "owner_id", "created"),
    Index("ix_artworks_engine", "engine"),
    Index("ix_artworks_recipe_id", "recipe_id"),
)

credits = Table(
    "credits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("role", String(40), nullable=False),
    Column("share", Float, nullable=False),
    Column("evidence", Text, nullable=False, default=""),
    Column("ref", Text),
    Column("position", Integer, nullable=False),
    Index("ix_credits_artwork_id", "artwork_id"),
    Index("ix_credits_name", "name"),
)

# Parents are content hashes, not foreign keys: a parent may have been deleted
# (or never stored here) and the child must still say where it came from.
artwork_parents = Table(
    "artwork_parents",
    metadata,
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("parent_id", String(64), nullable=False),
    Index("ix_artwork_parents_parent_id", "parent_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("request", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("result_ids", Text, nullable=False, default="[]"),
    Column("error", Text),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("owner", String(200)),
    Index("ix_jobs_status_created", "status", "created"),
    Index("ix_jobs_created", "created"),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("owner_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("kind", String(20), nullable=False),
    CheckConstraint("kind IN ('board', 'exhibition')", name="kind"),
    UniqueConstraint("owner_id", "name"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"),
           primary_key=True),
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_collection_items_artwork_id", "artwork_id"),
)

tags = Table(
    "tags",
    metadata,
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           primary_key=True),
    Column("tag", String(100), primary_key=True),
    Index("ix_tags_tag", "tag"),
)

OPTOUT_KINDS = ("artist", "style")

# The opt-out registry (catalog/consent.py); `key` is the name lower-cased,
# without accents or punctuation, so one owner is one row however spelled.
optouts = Table(
    "optouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('artist', 'style')", name="kind"),
)

# Watermark marks (catalog/marks.py): the short id hidden in an artwork's pixels
# (provenance/watermark.py), which finds its record once the metadata is gone.
marks = Table(
    "marks",
    metadata,
    Column("mark", BigInteger, primary_key=True, autoincrement=False),
    Column("artwork_sha", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           nullable=False),
    Index("ix_marks_artwork_sha", "artwork_sha"),
)
