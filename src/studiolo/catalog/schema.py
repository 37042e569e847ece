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
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
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
    # Search in prompt and title has a text index of each backend's own kind, made by
    # migration 0007 and not described here: SQLite's FTS5 table `artwork_text` (rowid =
    # recipe_id, hence the unique index below), PostgreSQL's pg_trgm GIN indexes
    # ix_artworks_prompt_trgm and ix_artworks_title_trgm. See catalog/search.py.
    Index("ix_artworks_created", "created"),
    Index("ix_artworks_owner_id_created", "owner_id", "created"),
    Index("ix_artworks_engine", "engine"),
    Index("ix_artworks_recipe_id", "recipe_id", unique=True),
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
    # The queue (migration 0009, catalog/queue.py): how often it was begun and may be, the
    # worker holding it until `lease_until` (a worker that stops renewing loses it), whether
    # it needs a device to itself (`heavy`), its place in fair order (`fair_tag`, start-time
    # fair queueing between owners), a cancel asked of a running job, the batch it belongs
    # to and the key that makes submitting the same batch row twice a no-op.
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False, default=3),
    Column("worker", String(200)),
    Column("lease_until", UTCDateTime),
    Column("started", UTCDateTime),
    Column("finished", UTCDateTime),
    Column("heavy", Boolean, nullable=False, default=False),
    Column("fair_tag", BigInteger, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("batch", String(64)),
    Column("dedupe_key", String(64)),
    Column("stage", String(40)),
    Column("message", Text),
    Index("ix_jobs_status_created", "status", "created"),
    Index("ix_jobs_created", "created"),
    Index("ix_jobs_status_heavy_fair_tag", "status", "heavy", "fair_tag"),
    Index("ix_jobs_owner_status_fair_tag", "owner", "status", "fair_tag"),
    Index("ix_jobs_status_lease_until", "status", "lease_until"),
    Index("ix_jobs_batch", "batch"),
    Index("ix_jobs_dedupe_key", "dedupe_key", unique=True),
)

# What a job said as it ran (catalog/queue.py): stage changes, messages, attempts, errors.
job_log = Table(
    "job_log",
    metadata,
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("line", Text, nullable=False),
)

# The artworks a job stored, by their order in the job: written in the artwork's own
# transaction, so an attempt after a crash finds what the killed one finished and stores
# no second copy of it.
job_artworks = Table(
    "job_artworks",
    metadata,
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           nullable=False),
    Index("ix_job_artworks_artwork_id", "artwork_id"),
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

RATING_KINDS = ("pair", "like", "stars")

# A person's ratings (catalog/ratings.py), what taste/ learns from. "pair": `artwork_id`
# won over `other_id` (value 1); "like": value 1 (like) or -1 (dislike); "stars": 1-5.
ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           nullable=False),
    Column("other_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE")),
    Column("value", Integer, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    CheckConstraint(
        "(kind = 'pair' AND other_id IS NOT NULL AND value = 1) OR "
        "(kind = 'like' AND other_id IS NULL AND value IN (-1, 1)) OR "
        "(kind = 'stars' AND other_id IS NULL AND value BETWEEN 1 AND 5)",
        name="kind_value",
    ),
    Index("ix_ratings_person_id_created", "person_id", "created"),
    Index("ix_ratings_artwork_id", "artwork_id"),
    Index("ix_ratings_other_id", "other_id"),
)

# Fitted taste profiles (taste/profile.py): each save of (person, name) is a new version;
# `model` is the fitted model as JSON text.
taste_profiles = Table(
    "taste_profiles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("embedder", String(200), nullable=False),
    Column("model", Text, nullable=False),
    Column("n_pairs", Integer, nullable=False),
    Column("accuracy", Float),
    Column("created", UTCDateTime, nullable=False),
    UniqueConstraint("person_id", "name", "version"),
)

USER_ROLES = ("owner", "member")

# Accounts of the web studio (catalog/accounts.py): a person who can log in, with an
# argon2 password hash. The owner made the studio; members are people they added.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    CheckConstraint("role IN ('owner', 'member')", name="role"),
)

# Logged-in browsers: only the sha256 of the cookie's token is kept, so a copy of the
# database logs nobody in; `csrf` is the session's token for forms and API writes.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
    Index("ix_sessions_expires", "expires"),
)

# Exhibitions (catalog/exhibitions.py, made by studiolo/curate): works chosen by a theme,
# hung in ordered rooms. `share_token` is random, the key of a public link.
exhibitions = Table(
    "exhibitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("theme", Text, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("is_public", Boolean, nullable=False, default=False),
    Column("share_token", String(64), nullable=False, unique=True),
    Index("ix_exhibitions_owner_id_created", "owner_id", "created"),
)

exhibition_rooms = Table(
    "exhibition_rooms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exhibition_id", Integer, ForeignKey("exhibitions.id", ondelete="CASCADE"),
           nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    # The visual tour's path length and a random order's, as measured when hung.
    Column("tour_length", Float),
    Column("random_length", Float),
    UniqueConstraint("exhibition_id", "position"),
)

exhibition_items = Table(
    "exhibition_items",
    metadata,
    Column("room_id", Integer, ForeignKey("exhibition_rooms.id", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           nullable=False),
    Column("score", Float, nullable=False),
    Index("ix_exhibition_items_artwork_id", "artwork_id"),
)

# The safety filter's verdict on an artwork (capabilities/safety): the classifier's score,
# the threshold it was held to, whether that flagged it, and for a flagged one the sha256
# of its blurred preview in the file store. No row: never checked (the filter was off, or
# the artwork is older than the filter; `studiolo safety scan` checks those).
safety_checks = Table(
    "safety_checks",
    metadata,
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           primary_key=True),
    Column("classifier", String(200), nullable=False),
    Column("score", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("preview_sha", String(64)),
    Column("checked", UTCDateTime, nullable=False),
    Index("ix_safety_checks_flagged", "flagged"),
)

# Input images uploaded through the web studio (catalog/uploads.py): who uploaded which,
# so an upload is used by the person who sent it and nobody else (its hash is not a key).
uploads = Table(
    "uploads",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("created", UTCDateTime, nullable=False),
    Index("ix_uploads_person_id", "person_id"),
)

# Analyses of artworks (capabilities/analyse/stored.py): one row per (artwork, collection it
# was compared with, claimed artist), the latest kept. `collection` and `claimed` are ""
# when there was none. `result` is the analysis as JSON text, `report` its HTML page. A row
# is read only through the artwork's visibility: a private work's analysis reaches its owner.
analyses = Table(
    "analyses",
    metadata,
    Column("artwork_id", String(64), ForeignKey("artworks.id", ondelete="CASCADE"),
           primary_key=True),
    Column("collection", String(64), primary_key=True),
    Column("claimed", String(200), primary_key=True),
    Column("result", Text, nullable=False),
    Column("report", Text, nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

# Reference collections of the analysis (capabilities/analyse/catalogued.py): works that
# other works are attributed against, with artist, title and year, and their embeddings.
# `notes` (JSON list of sentences) say what to know before trusting a verdict; `kinds` (JSON
# object, kind -> dimensions) the embeddings every work has. A work is keyed by the sha256
# of its decoded pixels; `position` keeps the order works were added in. Each embedding is
# one row of `reference_vectors`: float32 little-endian bytes of the kind's dimensions.
reference_collections = Table(
    "reference_collections",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("notes", Text, nullable=False),
    Column("kinds", Text, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

reference_works = Table(
    "reference_works",
    metadata,
    Column("collection", String(64),
           ForeignKey("reference_collections.name", ondelete="CASCADE"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("file", String(1000), nullable=False),
    Column("artist", String(200), nullable=False),
    Column("title", String(500), nullable=False),
    Column("year", String(64), nullable=False),
    Index("ix_reference_works_collection_artist", "collection", "artist"),
)

reference_vectors = Table(
    "reference_vectors",
    metadata,
    Column("collection", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("vector", LargeBinary, nullable=False),
    ForeignKeyConstraint(["collection", "sha256"],
                         ["reference_works.collection", "reference_works.sha256"],
                         ondelete="CASCADE"),
)
