"""Finding artworks by a piece of their prompt or title, on SQLite and PostgreSQL alike.

What a search means is the same everywhere: the query is a case-insensitive
substring of the prompt or the title (`contains`, a LIKE that also works with
no index). How it is found differs, and this file is the one place that knows:

- PostgreSQL: two pg_trgm GIN indexes (on `lower(prompt)` and `lower(title)`,
  migration 0007) serve that same LIKE; the planner chooses them by itself.
- SQLite cannot serve LIKE '%x%' from any index, so migration 0007 keeps an
  FTS5 table with the trigram tokenizer (`TEXT_TABLE`, filled by triggers on
  `artworks`) whose rowid is the artwork's `recipe_id` (each artwork has a recipe
  row of its own, and an INTEGER PRIMARY KEY, unlike the hidden rowid of a table
  keyed by text, survives VACUUM). A trigram phrase query is a substring match;
  the LIKE then re-checks each hit, so the result is exactly the LIKE's.
  Queries shorter than 3 characters have no trigram and fall back to the scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, or_, table

from .schema import artworks

TEXT_TABLE = "artwork_text"  # SQLite only: the FTS5 table and its shadow tables (artwork_text_*)
MIN_INDEXED = 3  # a trigram index holds nothing shorter

_text = table(TEXT_TABLE, column("rowid"), column(TEXT_TABLE))


def contains(query: str) -> ColumnElement[bool]:
    """The meaning of a search: `query` is in the prompt or the title, ignoring case."""
    # lower() + LIKE is the same on SQLite and PostgreSQL; autoescape makes '%' and '_'
    # in the query literal characters.
    needle = query.lower()
    return or_(
        func.lower(artworks.c.prompt).contains(needle, autoescape=True),
        func.lower(artworks.c.title).contains(needle, autoescape=True),
    )


def fts_phrase(query: str) -> str:
    """`query` as one FTS5 phrase: every character literal (a '"' is doubled)."""
    return '"' + query.replace('"', '""') + '"'


def where_text(stmt: Select[Any], dialect: str, query: str, *, indexed: bool = True) -> Select[Any]:
    """`stmt` (reading `artworks`) narrowed to the artworks whose prompt or title holds `query`.

    `indexed=False` leaves SQLite to scan `artworks` in the statement's own order
    instead of starting from the text index: cheaper only when matches are so many
    that the first page is found after a few rows (see `accounts.gallery`).
    """
    stmt = stmt.where(contains(query))
    if dialect == "sqlite" and indexed and len(query) >= MIN_INDEXED:
        # The FTS table drives the query (one index lookup per hit, and a LIMIT stops it
        # early); the LIKE above re-checks each hit, so case folding stays the LIKE's.
        stmt = stmt.join(_text, _text.c.rowid == artworks.c.recipe_id).where(
            _text.c[TEXT_TABLE].match(fts_phrase(query))
        )
    return stmt


def is_index_table(name: str) -> bool:
    """Whether a table of the database belongs to the SQLite text index (not to schema.py)."""
    return name == TEXT_TABLE or name.startswith(TEXT_TABLE + "_")
