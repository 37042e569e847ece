"""Finding artworks by a piece of their prompt or title, on SQLite and PostgreSQL alike.

What a search means is the same everywhere: the query is a case-insensitive
substring of the prompt or the title (`contains`, a LIKE that also works with
no index; the query is a bound parameter, so each statement is built once). How
it is found differs, and this file is the one place that knows:

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

from sqlalchemy import ColumnElement, Select, String, bindparam, column, func, or_, table

from studiolo.catalog.schema import artworks

TEXT_TABLE = "artwork_text"  # SQLite only: the FTS5 table and its shadow tables (artwork_text_*)
MIN_INDEXED = 3  # a trigram index holds nothing shorter

_text = table(TEXT_TABLE, column("rowid"), column(TEXT_TABLE))


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern that matches it anywhere, case folded, with '%', '_' and
    the escape character '/' taken literally (the statement says ESCAPE '/')."""
    escaped = text.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def contains() -> ColumnElement[bool]:
    """The meaning of a search: the query is in the prompt or the title, ignoring case.

    The query arrives as the bound parameter `needle` (`like_pattern(query)`; see
    `text_params`), so the statement is built once and run with any query."""
    needle = bindparam("needle", type_=String)
    # lower() + LIKE is the same on SQLite and PostgreSQL.
    return or_(func.lower(artworks.c.prompt).like(needle, escape="/"),
               func.lower(artworks.c.title).like(needle, escape="/"))


def fts_phrase(query: str) -> str:
    """`query` as one FTS5 phrase: every character literal (a '"' is doubled)."""
    return '"' + query.replace('"', '""') + '"'


def uses_index(dialect: str, query: str, indexed: bool = True) -> bool:
    """Whether `where_text` starts from the SQLite text index for this query."""
    return dialect == "sqlite" and indexed and len(query) >= MIN_INDEXED


def text_params(query: str) -> dict[str, str]:
    """The bound values a statement from `where_text` needs for `query`."""
    return {"needle": like_pattern(query), "phrase": fts_phrase(query)}


def where_text(stmt: Select[Any], *, use_index: bool) -> Select[Any]:
    """`stmt` (reading `artworks`) narrowed to the artworks whose prompt or title holds the
    query given at run time (`text_params`).

    `use_index` (`uses_index`): start from SQLite's text index. False leaves SQLite to
    scan `artworks` in the statement's own order: cheaper only when matches are so many
    that the first page is found after a few rows (see `visibility.gallery`), and the
    only way for queries shorter than a trigram.
    """
    stmt = stmt.where(contains())
    if use_index:
        # The FTS table drives the query (one index lookup per hit, and a LIMIT stops it
        # early); the LIKE above re-checks each hit, so case folding stays the LIKE's.
        stmt = stmt.join(_text, _text.c.rowid == artworks.c.recipe_id).where(
            _text.c[TEXT_TABLE].match(bindparam("phrase", type_=String))
        )
    return stmt


def is_index_table(name: str) -> bool:
    """Whether a table of the database belongs to the SQLite text index (not to schema.py)."""
    return name == TEXT_TABLE or name.startswith(TEXT_TABLE + "_")
