"""Watermark marks: which artwork a mark found in an image's pixels belongs to.

Functions of a `Catalog` (they use `catalog.engine` and `catalog.resolve_id`).
A mark is unique across the catalog; an artwork may have more than one (an
image marked again keeps its old mark valid).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from studiolo.catalog.schema import marks
from studiolo.core.errors import InvalidArgument

if TYPE_CHECKING:
    from studiolo.catalog.store import Catalog

MAX_MARK = 2**63 - 1  # a signed BIGINT on every backend


def check_mark(mark: Any) -> int:
    if isinstance(mark, bool) or not isinstance(mark, int) or not 0 < mark <= MAX_MARK:
        raise InvalidArgument(f"`mark` must be a positive integer below 2**63, got {mark!r}.")
    return mark


def add_mark(catalog: Catalog, mark: int, artwork_id: str) -> None:
    """Record that `mark` names the artwork (id or unique prefix); again for the same one is a no-op."""
    mark = check_mark(mark)
    sha = catalog.resolve_id(artwork_id)
    owner = find_by_mark(catalog, mark)
    if owner == sha:
        return
    if owner is None:
        try:
            with catalog.engine.begin() as conn:
                conn.execute(insert(marks).values(mark=mark, artwork_sha=sha))
            return
        except IntegrityError:  # another process took this mark in between
            owner = find_by_mark(catalog, mark)
            if owner == sha:
                return
    raise InvalidArgument(
        f"`mark` {mark} already names artwork {owner}; draw a new one with new_mark()."
    )


def find_by_mark(catalog: Catalog, mark: int) -> str | None:
    """The id of the artwork this mark names, or None when no artwork has it."""
    mark = check_mark(mark)
    with catalog.engine.connect() as conn:
        return conn.scalar(select(marks.c.artwork_sha).where(marks.c.mark == mark))


def marks_of(catalog: Catalog, artwork_id: str) -> list[int]:
    """The marks of an artwork (id or unique prefix), in increasing order."""
    sha = catalog.resolve_id(artwork_id)
    with catalog.engine.connect() as conn:
        query = select(marks.c.mark).where(marks.c.artwork_sha == sha).order_by(marks.c.mark)
        return list(conn.scalars(query))
