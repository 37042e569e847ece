"""Exhibitions in the catalog: a title, a theme, ordered rooms of ordered works.

A mixin of `Catalog`; it uses `self.engine`, `self._person_id`,
`self._artwork_select` and `self._load` from there. Privacy: a viewer sees
their own exhibitions and public ones; in any exhibition, the private works of
anyone but the viewer are left out (for a share link, every private work), in
listings and counts too, and a room left with none of its works is left out
with them. Such an exhibition says so (`left_out`), so what is shown of it
names its rooms again from the works that remain: a stored room name was drawn
from every work's prompt, hidden ones too. An exhibition whose works left the
catalog keeps its rooms (deleting an artwork deletes its items).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, false, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import (
    artworks,
    exhibition_items,
    exhibition_rooms,
    exhibitions,
    people,
    tags,
)
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork

MAX_POOL = 2000  # the newest works a theme is matched against


@dataclass(frozen=True)
class ExhibitionRoom:
    """One room: its name, its works in walking order, and the tour measured when hung."""

    name: str
    artwork_ids: tuple[str, ...]
    scores: tuple[float, ...] = ()
    tour_length: float | None = None
    random_length: float | None = None


@dataclass(frozen=True)
class Exhibition:
    id: int
    owner: str
    title: str
    theme: str
    created: datetime
    is_public: bool
    share_token: str
    rooms: tuple[ExhibitionRoom, ...] = field(default=())
    # Whether works hidden from the viewer were left out (never shown: see the docstring).
    left_out: bool = field(default=False, compare=False)

    @property
    def artwork_ids(self) -> tuple[str, ...]:
        return tuple(a for room in self.rooms for a in room.artwork_ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "owner": self.owner, "title": self.title, "theme": self.theme,
            "created": self.created.isoformat(), "is_public": self.is_public,
            "share_token": self.share_token,
            "rooms": [{"name": r.name, "artwork_ids": list(r.artwork_ids), "scores": list(r.scores),
                       "tour_length": r.tour_length, "random_length": r.random_length}
                      for r in self.rooms],
        }


def exhibition_id_arg(value: Any) -> int:
    """An exhibition id from an int or a string of digits."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"An exhibition id is a positive whole number, got {value!r}.")
    return value


class ExhibitionTable:
    engine: Engine
    _person_id: Any
    _artwork_select: Any
    _load: Any

    def add_exhibition(
        self, owner: str, title: str, theme: str, rooms: Sequence[ExhibitionRoom], *,
        is_public: bool = False,
    ) -> Exhibition:
        """Record an exhibition and its rooms in one transaction; returns it with its id."""
        owner, title = text_arg("owner", owner), text_arg("title", title)
        theme = text_arg("theme", theme, max_len=500)
        if not rooms or not all(isinstance(r, ExhibitionRoom) and r.artwork_ids for r in rooms):
            raise InvalidArgument("`rooms` must be one or more ExhibitionRoom, each with works.")
        created, token = now(), secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            ex_id = conn.execute(insert(exhibitions).values(
                owner_id=self._person_id(conn, owner), title=title, theme=theme, created=created,
                is_public=bool(is_public), share_token=token,
            )).inserted_primary_key[0]
            for position, room in enumerate(rooms):
                room_id = conn.execute(insert(exhibition_rooms).values(
                    exhibition_id=ex_id, position=position, name=room.name,
                    tour_length=room.tour_length, random_length=room.random_length,
                )).inserted_primary_key[0]
                scores = room.scores or (0.0,) * len(room.artwork_ids)
                conn.execute(insert(exhibition_items), [
                    {"room_id": room_id, "position": i, "artwork_id": a, "score": float(s)}
                    for i, (a, s) in enumerate(zip(room.artwork_ids, scores, strict=True))
                ])
        return self.get_exhibition(int(ex_id))

    def get_exhibition(self, exhibition_id: int | str, *, viewer: str | None = None) -> Exhibition:
        """An exhibition by id; with `viewer`, only if it is theirs or public (else UnknownName)."""
        ex_id = exhibition_id_arg(exhibition_id)
        with self.engine.connect() as conn:
            found = self._exhibitions(conn, exhibitions.c.id == ex_id)
        if not found or not _may_see(found[0], viewer):
            known = [str(e.id) for e in self.list_exhibitions(viewer=viewer)] if viewer else []
            raise UnknownName("exhibition", str(exhibition_id), known)
        return self._without_private(found[0], viewer)

    def exhibition_by_token(self, token: str) -> Exhibition:
        """The exhibition a share link names (its random token), if it is public."""
        token = text_arg("token", token, max_len=64)
        with self.engine.connect() as conn:
            found = self._exhibitions(conn, exhibitions.c.share_token == token)
        if not found or not found[0].is_public:
            raise UnknownName("shared exhibition", token[:6] + "…")
        return self.shown_publicly(found[0])

    def shown_publicly(self, exhibition: Exhibition) -> Exhibition:
        """The exhibition as anyone may see it (a share link, an exported site): no private
        work of anyone, its owner's included."""
        return self._without_private(exhibition, viewer="")

    def list_exhibitions(self, *, viewer: str | None = None, limit: int = 100) -> list[Exhibition]:
        """Newest first: all (viewer None), or the viewer's own and the public ones."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgument(f"`limit` must be a positive integer, got {limit!r}.")
        where = None
        if viewer is not None:
            mine = exhibitions.c.owner_id.in_(select(people.c.id).where(people.c.name == viewer))
            where = or_(mine, exhibitions.c.is_public)
        with self.engine.connect() as conn:
            found = self._exhibitions(conn, where, limit=limit)
        if viewer is None:
            return found
        private = self._private_owners([a for e in found for a in e.artwork_ids])
        return [_hide(e, viewer, private) for e in found]

    def set_exhibition_public(self, exhibition_id: int | str, is_public: bool) -> Exhibition:
        ex_id = self.get_exhibition(exhibition_id).id
        with self.engine.begin() as conn:
            conn.execute(update(exhibitions).where(exhibitions.c.id == ex_id)
                         .values(is_public=bool(is_public)))
        return self.get_exhibition(ex_id)

    def delete_exhibition(self, exhibition_id: int | str) -> None:
        ex_id = self.get_exhibition(exhibition_id).id
        with self.engine.begin() as conn:
            rooms = select(exhibition_rooms.c.id).where(exhibition_rooms.c.exhibition_id == ex_id)
            conn.execute(delete(exhibition_items).where(exhibition_items.c.room_id.in_(rooms)))
            conn.execute(delete(exhibition_rooms).where(exhibition_rooms.c.exhibition_id == ex_id))
            conn.execute(delete(exhibitions).where(exhibitions.c.id == ex_id))

    def visible_artworks(
        self, viewer: str, *, public_only: bool = False, limit: int = MAX_POOL
    ) -> list[tuple[Artwork, tuple[str, ...]]]:
        """(artwork, tags) of the newest works `viewer` may show: their own and public ones.

        `public_only` leaves out the viewer's private works too (for a public exhibition).
        """
        viewer = text_arg("viewer", viewer)
        public = artworks.c.private == false()
        mine = artworks.c.owner_id.in_(select(people.c.id).where(people.c.name == viewer))
        stmt = self._artwork_select().where(public if public_only else or_(public, mine))
        stmt = stmt.order_by(artworks.c.created.desc(), artworks.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            works = self._load(conn, stmt)
            by_id: dict[str, list[str]] = {w.id: [] for w in works}
            for chunk in range(0, len(works), 500):
                ids = [w.id for w in works[chunk:chunk + 500]]
                for row in conn.execute(select(tags).where(tags.c.artwork_id.in_(ids))
                                        .order_by(tags.c.tag)):
                    by_id[row.artwork_id].append(row.tag)
        return [(w, tuple(by_id[w.id])) for w in works]

    # -- helpers ----------------------------------------------------------------
    def _exhibitions(self, conn: Connection, where: Any, *, limit: int = 100) -> list[Exhibition]:
        stmt = (select(exhibitions, people.c.name.label("owner"))
                .join(people, exhibitions.c.owner_id == people.c.id)
                .order_by(exhibitions.c.created.desc(), exhibitions.c.id.desc()).limit(limit))
        rows = conn.execute(stmt if where is None else stmt.where(where)).all()
        if not rows:
            return []
        room_rows = conn.execute(
            select(exhibition_rooms).where(exhibition_rooms.c.exhibition_id.in_([r.id for r in rows]))
            .order_by(exhibition_rooms.c.exhibition_id, exhibition_rooms.c.position)).all()
        items: dict[int, list[Any]] = {r.id: [] for r in room_rows}
        for item in conn.execute(
            select(exhibition_items).where(exhibition_items.c.room_id.in_(list(items)))
            .order_by(exhibition_items.c.room_id, exhibition_items.c.position)
        ):
            items[item.room_id].append(item)
        rooms: dict[int, list[ExhibitionRoom]] = {r.id: [] for r in rows}
        for r in room_rows:
            rooms[r.exhibition_id].append(ExhibitionRoom(
                name=r.name, artwork_ids=tuple(i.artwork_id for i in items[r.id]),
                scores=tuple(i.score for i in items[r.id]), tour_length=r.tour_length,
                random_length=r.random_length))
        return [Exhibition(id=r.id, owner=r.owner, title=r.title, theme=r.theme, created=r.created,
                           is_public=bool(r.is_public), share_token=r.share_token,
                           rooms=tuple(rooms[r.id])) for r in rows]

    def _without_private(self, exhibition: Exhibition, viewer: str | None) -> Exhibition:
        """The exhibition as `viewer` may see it: private works not theirs are left out ("":
        every private work), with any room they leave empty. `viewer` None: all of it."""
        if viewer is None:
            return exhibition
        return _hide(exhibition, viewer, self._private_owners(exhibition.artwork_ids))

    def _private_owners(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The private works among `ids`, with their owners."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for chunk in range(0, len(wanted), 500):
                found.update(conn.execute(
                    select(artworks.c.id, people.c.name)
                    .outerjoin(people, artworks.c.owner_id == people.c.id)
                    .where(artworks.c.id.in_(wanted[chunk:chunk + 500]),
                           artworks.c.private.is_(True))).tuples().all())
        return found


def _hide(exhibition: Exhibition, viewer: str, private: dict[str, str | None]) -> Exhibition:
    """`exhibition` without the works of `private` (id -> owner) that `viewer` may not see."""
    hidden = {a for a in exhibition.artwork_ids
              if a in private and (not viewer or private[a] != viewer)}
    if not hidden:
        return exhibition
    rooms = []
    for r in exhibition.rooms:
        kept = tuple(a for a in r.artwork_ids if a not in hidden)
        if len(kept) == len(r.artwork_ids):
            rooms.append(r)
        elif kept:  # the tour measured when hung walked through the hidden works too
            scores = tuple(s for a, s in zip(r.artwork_ids, r.scores) if a not in hidden)
            rooms.append(ExhibitionRoom(name=r.name, artwork_ids=kept, scores=scores))
    return Exhibition(**{**exhibition.__dict__, "rooms": tuple(rooms), "left_out": True})


def _may_see(exhibition: Exhibition, viewer: str | None) -> bool:
    return viewer is None or exhibition.is_public or exhibition.owner == viewer
