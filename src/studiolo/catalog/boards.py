"""Collections: a person's boards (working sets) and exhibitions (curated, ordered shows).

A mixin of `Catalog`; it uses `self.engine`, `self.resolve_id` and
`self._person_id` from there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidArgument, UnknownName
from ._common import now, text_arg
from .schema import COLLECTION_KINDS, collection_items, collections


class CollectionTable:
    engine: Engine

    def resolve_id(self, id_or_prefix: str) -> str: ...  # provided by Catalog
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
            raise InvalidArgument(
                f"{owner} already has a collection named {name!r}; choose another `name`."
            ) from None

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
