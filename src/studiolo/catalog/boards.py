"""Collections: a person's boards (working sets) and exhibitions (curated, ordered shows).

A mixin of `Catalog`; it uses `self.engine`, `self.resolve_id` and
`self._person_id` from there. A board is private to its owner: `board_of`
answers someone else's board as it answers a missing one, so its id tells
nothing. Who may see each artwork on it is for the caller (accounts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import String, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import (
    COLLECTION_KINDS,
    artworks,
    collection_items,
    collections,
    people,
)
from studiolo.core.errors import InvalidArgument, UnknownName


@dataclass(frozen=True)
class Collection:
    """A board or exhibition; `count`: its works that its owner may see (theirs or public)."""

    id: int
    name: str
    owner: str
    kind: str
    created: datetime
    count: int


def board_id_arg(value: Any) -> int | None:
    """A board id from an int or a string of digits; None for None or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"A board id is a positive whole number, got {value!r}; "
                              "GET /api/boards lists yours.")
    return value


def _select_collections() -> Any:
    # Counted per row by a correlated subquery: portable, and a board holds hundreds, not millions.
    seen = (select(func.count()).select_from(
        collection_items.join(artworks, artworks.c.id == collection_items.c.artwork_id))
        .where(collection_items.c.collection_id == collections.c.id,
               or_(artworks.c.private.is_(False), artworks.c.owner_id == collections.c.owner_id))
        .scalar_subquery())
    return select(collections.c.id, collections.c.name, people.c.name.label("owner"),
                  collections.c.kind, collections.c.created, seen.label("count")
                  ).select_from(collections.join(people, collections.c.owner_id == people.c.id))


@cache
def _listed(holding: bool) -> Any:
    """An owner's collections of a kind, by name (bound: `owner`, `kind`, and with
    `holding` the artwork `sha` they must hold); built once, as the gallery and every
    artwork page ask."""
    query = _select_collections().where(people.c.name == bindparam("owner", type_=String),
                                        collections.c.kind == bindparam("kind", type_=String))
    if holding:
        query = query.where(collections.c.id.in_(select(collection_items.c.collection_id).where(
            collection_items.c.artwork_id == bindparam("sha", type_=String))))
    return query.order_by(func.lower(collections.c.name), collections.c.id)


def _collection(row: Any) -> Collection:
    return Collection(id=row.id, name=row.name, owner=row.owner, kind=row.kind,
                      created=row.created, count=int(row.count or 0))


class CollectionTable:
    engine: Engine

    def resolve_id(self, id_or_prefix: str) -> str: ...  # provided by Catalog
    def full_id(self, id_or_prefix: str) -> str: ...  # provided by Catalog
    def _person_id(self, conn: Connection, name: str) -> int: ...  # provided by Catalog

    def create_collection(self, name: str, owner: str, kind: str = "board") -> int:
        """A new empty collection; its id. Names are unique per owner."""
        name = text_arg("name", name)
        owner = text_arg("owner", owner)
        if kind not in COLLECTION_KINDS:
            raise InvalidArgument(f"`kind` must be one of {COLLECTION_KINDS}, got {kind!r}.")
        try:
            with self.engine.begin() as conn:
                owner_id = self._person_id(conn, owner)
                result = conn.execute(
                    insert(collections).values(
                        name=name, owner_id=owner_id, created=now(), kind=kind
                    )
                )
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            raise _taken(owner, name) from None

    def _check_collection(self, conn: Connection, collection_id: Any) -> int:
        if not isinstance(collection_id, int) or isinstance(collection_id, bool):
            raise InvalidArgument(f"`collection_id` must be an integer, got {collection_id!r}.")
        if conn.scalar(select(collections.c.id).where(collections.c.id == collection_id)) is None:
            raise UnknownName("collection", str(collection_id))
        return collection_id

    def add_to_collection(self, collection_id: int, artwork_id: str) -> None:
        """Append an artwork (id or unique prefix); adding it again changes nothing."""
        sha = self.resolve_id(artwork_id)
        with self.engine.begin() as conn:
            self._check_collection(conn, collection_id)
            here = select(collection_items.c.artwork_id).where(
                collection_items.c.collection_id == collection_id,
                collection_items.c.artwork_id == sha,
            )
            if conn.scalar(here) is not None:
                return
            last = conn.scalar(
                select(func.max(collection_items.c.position))
                .where(collection_items.c.collection_id == collection_id)
            )
            conn.execute(
                insert(collection_items).values(
                    collection_id=collection_id, artwork_id=sha,
                    position=0 if last is None else last + 1,
                )
            )

    def collection_items(self, collection_id: int) -> list[str]:
        """The artwork ids in the collection, in the order they were added."""
        with self.engine.connect() as conn:
            self._check_collection(conn, collection_id)
            query = (
                select(collection_items.c.artwork_id)
                .where(collection_items.c.collection_id == collection_id)
                .order_by(collection_items.c.position)
            )
            return list(conn.scalars(query))

    def get_collection(self, collection_id: int) -> Collection:
        with self.engine.connect() as conn:
            self._check_collection(conn, collection_id)
            row = conn.execute(_select_collections()
                               .where(collections.c.id == collection_id)).one()
        return _collection(row)

    def board_of(self, board_id: Any, owner: str) -> Collection:
        """The board if `owner` owns it; `UnknownName` otherwise, for a missing board, an
        exhibition, and someone else's board alike."""
        board_id = board_id_arg(board_id)
        with self.engine.connect() as conn:
            row = conn.execute(_select_collections().where(
                collections.c.id == board_id, collections.c.kind == "board",
                people.c.name == owner)).first()
        if row is None:
            raise UnknownName("board", str(board_id))
        return _collection(row)

    def list_collections(self, owner: str, kind: str = "board") -> list[Collection]:
        """The owner's collections of this kind, by name."""
        with self.engine.connect() as conn:
            return [_collection(r) for r in conn.execute(_listed(holding=False),
                                                         {"owner": owner, "kind": kind})]

    def collections_with(self, artwork_id: str, owner: str, kind: str = "board") -> list[Collection]:
        """The owner's collections of this kind that hold the artwork, by name."""
        sha = self.full_id(artwork_id)  # an id of no artwork is on no board
        with self.engine.connect() as conn:
            return [_collection(r) for r in conn.execute(
                _listed(holding=True), {"owner": owner, "kind": kind, "sha": sha})]

    def rename_collection(self, collection_id: int, name: str) -> Collection:
        """A new name, unique among its owner's collections."""
        name = text_arg("name", name)
        found = self.get_collection(collection_id)
        try:
            with self.engine.begin() as conn:
                conn.execute(update(collections).where(collections.c.id == found.id)
                             .values(name=name))
        except IntegrityError:
            raise _taken(found.owner, name) from None
        return self.get_collection(found.id)

    def remove_from_collection(self, collection_id: int, artwork_id: str) -> bool:
        """Take an artwork off; whether it was there. The others keep their order."""
        sha = self.resolve_id(artwork_id)
        with self.engine.begin() as conn:
            self._check_collection(conn, collection_id)
            gone = conn.execute(delete(collection_items).where(
                collection_items.c.collection_id == collection_id,
                collection_items.c.artwork_id == sha))
            return bool(gone.rowcount)

    def delete_collection(self, collection_id: int) -> None:
        """Remove the collection and its list; the artworks stay."""
        with self.engine.begin() as conn:
            self._check_collection(conn, collection_id)
            # Items first, explicitly: a SQLite connection without foreign_keys=ON
            # would not cascade (as in Catalog.delete_artwork).
            conn.execute(delete(collection_items)
                         .where(collection_items.c.collection_id == collection_id))
            conn.execute(delete(collections).where(collections.c.id == collection_id))


def _taken(owner: str, name: str) -> InvalidArgument:
    return InvalidArgument(
        f"{owner} already has a collection named {name!r}; choose another `name`.")
