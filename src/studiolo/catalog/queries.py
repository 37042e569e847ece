"""Statements of the catalog built once, with bound parameters, and what they read.

Building a SQLAlchemy statement costs more than SQLite takes to answer a
simple one (about a millisecond of Python against tens of microseconds), and
the web studio asks the same few on every page. So the filters of a listing
are a shape (`filter_shape`: which filters are given) filled at run time
(`filter_params`), and the reads of one artwork are built once (`statements`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, String, bindparam, literal_column, select

from studiolo.catalog import search
from studiolo.catalog.schema import artwork_parents, artworks, credits, people, recipes, tags
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork, Credit, Recipe


def artwork_select() -> Select[Any]:
    """The columns an `Artwork` is made from (`artwork_from_rows`), for any WHERE."""
    return select(
        artworks.c.id, artworks.c.width, artworks.c.height, artworks.c.title,
        artworks.c.created, recipes.c.json, people.c.name.label("owner"),
    ).select_from(
        artworks.join(recipes, artworks.c.recipe_id == recipes.c.id).outerjoin(
            people, artworks.c.owner_id == people.c.id
        )
    )


def filter_shape(stmt: Select[Any], *, owner: bool = False, text: bool | None = None,
                 engine: bool = False, tag: bool = False) -> Select[Any]:
    """`stmt` narrowed by the filters that are given, each value a bound parameter
    (`filter_params`), so a statement is built once per set of filters and runs with any
    values. `text`: None for no search, else whether to start from the text index
    (`search.uses_index`)."""
    if owner:
        # `=` a scalar subquery, not IN: SQLite then walks ix_artworks_owner_id_created in
        # order and stops at a page, where IN read all the owner's works and sorted them.
        # When the text index drives the query, `owner_id + 0` keeps SQLite from starting
        # at the owner's index instead (then each of their works costs a text-index probe).
        owner_id = select(people.c.id).where(people.c.name == bindparam("owner", type_=String))
        column = artworks.c.owner_id + literal_column("0") if text else artworks.c.owner_id
        stmt = stmt.where(column == owner_id.scalar_subquery())
    if text is not None:
        stmt = search.where_text(stmt, use_index=text)
    if engine:
        stmt = stmt.where(artworks.c.engine == bindparam("engine", type_=String))
    if tag:
        tagged = select(tags.c.artwork_id).where(tags.c.tag == bindparam("tag", type_=String))
        stmt = stmt.where(artworks.c.id.in_(tagged))
    return stmt


def filter_params(owner: str | None, query: str | None, engine: str | None,
                  tag: str | None) -> dict[str, Any]:
    """The values for a statement from `filter_shape`."""
    values: dict[str, Any] = {"owner": owner, "engine": engine, "tag": tag}
    values = {k: v for k, v in values.items() if v is not None}
    return values | (search.text_params(query) if query else {})


def artwork_from_rows(row: Any, credit_rows: Any, parents: list[str]) -> Artwork:
    """An `Artwork` from its row (of `artwork_select`), credit rows and parent ids."""
    return Artwork(
        recipe=Recipe.from_json(row.json), id=row.id, owner=row.owner, created=row.created,
        credits=tuple(Credit(name=c.name, kind=c.kind, role=c.role, share=c.share,
                             evidence=c.evidence, ref=c.ref) for c in credit_rows),
        parents=tuple(parents), width=row.width, height=row.height, title=row.title,
    )


def complete(conn: Any, row: Any) -> Artwork:
    """The `Artwork` of one row of `artwork_select`, with its credits and parents."""
    ready, sha = statements(), {"sha": row.id}
    return artwork_from_rows(row, conn.execute(ready.credits_of, sha),
                             [p.parent_id for p in conn.execute(ready.parents_of, sha)])


@cache
def statements() -> SimpleNamespace:
    """Statements run on every artwork page, built once (values are bound at run time)."""
    sha = bindparam("sha", type_=String)
    ids = bindparam("ids", expanding=True)
    return SimpleNamespace(
        exists=select(artworks.c.id).where(artworks.c.id == sha),
        prefixed=select(artworks.c.id).where(
            artworks.c.id >= bindparam("low", type_=String),
            artworks.c.id < bindparam("high", type_=String)).order_by(artworks.c.id).limit(11),
        tags=select(tags.c.tag).where(tags.c.artwork_id == sha).order_by(tags.c.tag),
        artwork=artwork_select().where(artworks.c.id == sha),
        credits=select(credits).where(credits.c.artwork_id.in_(ids)).order_by(credits.c.position),
        credits_of=select(credits).where(credits.c.artwork_id == sha).order_by(credits.c.position),
        parents_of=select(artwork_parents.c.parent_id).where(artwork_parents.c.artwork_id == sha)
        .order_by(artwork_parents.c.position),
        parents=select(artwork_parents).where(artwork_parents.c.artwork_id.in_(ids))
        .order_by(artwork_parents.c.position),
    )


MIN_PREFIX = 6
_HEX = re.compile(r"[0-9a-f]+")


def check_prefix(id_or_prefix: Any) -> str:
    """An artwork id or its start, lower case; InvalidArgument for anything else."""
    if not isinstance(id_or_prefix, str):
        raise InvalidArgument(f"`id_or_prefix` must be a string, got {id_or_prefix!r}.")
    prefix = id_or_prefix.strip().lower()
    if not _HEX.fullmatch(prefix) or len(prefix) > 64:
        raise InvalidArgument(
            f"`id_or_prefix` must be hex digits (an artwork id or its start), got "
            f"{id_or_prefix!r}."
        )
    if len(prefix) < MIN_PREFIX:
        raise InvalidArgument(
            f"`id_or_prefix` must be at least {MIN_PREFIX} hex digits, got {id_or_prefix!r}."
        )
    return prefix


def prefix_range(prefix: str) -> dict[str, str]:
    """The bound values of a prefix lookup: ids from `prefix` up to the next prefix."""
    return {"low": prefix, "high": prefix + "g"}


def one_match(found: Sequence[str], id_or_prefix: str) -> str:
    """The one id a lookup found; UnknownName for none, InvalidArgument naming them for more."""
    if not found:
        raise UnknownName("artwork", id_or_prefix)
    if len(found) > 1:
        shown = ", ".join(found[:10])
        more = " and more" if len(found) > 10 else ""
        raise InvalidArgument(
            f"Artwork prefix {id_or_prefix!r} is ambiguous: it matches {shown}{more}; "
            "give more digits."
        )
    return found[0]
