"""A text index for searching prompts and titles (see studiolo/catalog/search.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

- SQLite: an FTS5 table `artwork_text(prompt, title)` with the trigram tokenizer,
  its rowid the artwork's `recipe_id`, kept in step by triggers on `artworks`, and
  filled from the rows already there.
- PostgreSQL: GIN indexes with pg_trgm's `gin_trgm_ops` on `lower(prompt)` and
  `lower(title)`, which serve the search's LIKE. pg_trgm ships with PostgreSQL and
  is a trusted extension (13+), so the database's owner can create it; a role that
  cannot gets an error saying what to ask for, and nothing changes.
- Both: `ix_artworks_recipe_id` becomes unique (one recipe row per artwork, which
  the SQLite index's rowid relies on).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from studiolo.core.errors import CatalogError

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FTS = "artwork_text"
TRGM_INDEXES = {"ix_artworks_prompt_trgm": "prompt", "ix_artworks_title_trgm": "title"}

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(prompt, title, tokenize='trigram')",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON artworks BEGIN
        INSERT INTO {FTS}(rowid, prompt, title) VALUES (new.recipe_id, new.prompt, new.title);
    END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON artworks BEGIN
        DELETE FROM {FTS} WHERE rowid = old.recipe_id;
    END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF prompt, title, recipe_id ON artworks BEGIN
        DELETE FROM {FTS} WHERE rowid = old.recipe_id;
        INSERT INTO {FTS}(rowid, prompt, title) VALUES (new.recipe_id, new.prompt, new.title);
    END""",
    f"INSERT INTO {FTS}(rowid, prompt, title) SELECT recipe_id, prompt, title FROM artworks",
]


def _unique_recipe_index(unique: bool) -> None:
    op.drop_index("ix_artworks_recipe_id", table_name="artworks")
    op.create_index("ix_artworks_recipe_id", "artworks", ["recipe_id"], unique=unique)


def _pg_trgm_schema(conn: Connection) -> str:
    """The schema that holds pg_trgm, creating the extension if it is not there yet."""
    found = conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).scalar()
    if found:
        return str(found)
    # In `public` when there is one, so that dropping the catalog's own schema never
    # takes the extension (and the indexes of other catalogs in this database) with it.
    has_public = conn.exec_driver_sql(
        "SELECT 1 FROM pg_namespace WHERE nspname = 'public'").scalar()
    schema = "public" if has_public else str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    quoted = conn.dialect.identifier_preparer.quote(schema)
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {quoted}")
    except DBAPIError as exc:
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
        raise CatalogError(
            f"The catalog's search index needs the pg_trgm extension, which this role cannot "
            f"create ({str(exc.orig).strip()}). Ask the database's owner or a superuser to run "
            f"`CREATE EXTENSION pg_trgm;` in database {database!r}, then open the studio again."
        ) from None
    return schema


def upgrade() -> None:
    conn = op.get_bind()
    _unique_recipe_index(True)
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        ops = f"{conn.dialect.identifier_preparer.quote(_pg_trgm_schema(conn))}.gin_trgm_ops"
        for name, col in TRGM_INDEXES.items():
            conn.exec_driver_sql(f"CREATE INDEX {name} ON artworks USING gin (lower({col}) {ops})")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS}")
    elif conn.dialect.name == "postgresql":
        for name in TRGM_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    _unique_recipe_index(False)

