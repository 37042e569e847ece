"""A person's ratings of artworks and their fitted taste profiles.

A mixin of `Catalog`; it uses `self.engine`, `self.resolve_id` and
`self._person_id` from there. Three kinds of rating, all about artworks in the
catalog (an unknown id is an error and nothing is written):

- "pair": the person was shown two artworks and picked `winner` over `loser`;
  the same pair may be rated again (people are not always consistent, and the
  taste model is meant to see that).
- "like": a like (+1) or dislike (-1); a new one replaces the last of that artwork.
- "stars": 1 to 5; a new rating replaces the last of that artwork.

What `studiolo.capabilities.taste` learns from them is its business; here they are just rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.engine import Connection, Engine

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import RATING_KINDS, people, ratings, taste_profiles
from studiolo.core.errors import InvalidArgument, UnknownName


@dataclass(frozen=True)
class Rating:
    """One rating row: for "pair", `artwork_id` won over `other_id`."""

    id: int
    person: str
    kind: str
    artwork_id: str
    other_id: str | None
    value: int
    created: datetime


@dataclass(frozen=True)
class StoredProfile:
    """One saved version of a taste profile; `model` is the JSON the taste package wrote."""

    person: str
    name: str
    version: int
    embedder: str
    model: dict[str, Any]
    n_pairs: int
    accuracy: float | None
    created: datetime


class RatingTable:
    engine: Engine

    def resolve_id(self, id_or_prefix: str) -> str: ...  # provided by Catalog
    def _person_id(self, conn: Connection, name: str) -> int: ...  # provided by Catalog

    # -- ratings ----------------------------------------------------------------
    def add_pair(self, person: str, winner: str, loser: str) -> Rating:
        """Record that `person` picked `winner` over `loser` (ids or unique prefixes)."""
        person = text_arg("person", person)
        winner_id, loser_id = self.resolve_id(winner), self.resolve_id(loser)
        if winner_id == loser_id:
            raise InvalidArgument(
                f"`winner` and `loser` must be two different artworks, got {winner_id[:12]} twice."
            )
        return self._add_rating(person, "pair", winner_id, loser_id, 1)

    def add_like(self, person: str, artwork: str, liked: bool = True) -> Rating:
        """Record a like (or, with liked=False, a dislike); it replaces the last one."""
        person = text_arg("person", person)
        if not isinstance(liked, bool):
            raise InvalidArgument(f"`liked` must be True or False, got {liked!r}.")
        return self._add_rating(person, "like", self.resolve_id(artwork), None, 1 if liked else -1)

    def add_stars(self, person: str, artwork: str, stars: int) -> Rating:
        """Record 1 to 5 stars for an artwork; it replaces the last star rating."""
        person = text_arg("person", person)
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise InvalidArgument(f"`stars` must be a whole number from 1 to 5, got {stars!r}.")
        return self._add_rating(person, "stars", self.resolve_id(artwork), None, stars)

    def _add_rating(
        self, person: str, kind: str, artwork_id: str, other_id: str | None, value: int
    ) -> Rating:
        created = now()
        with self.engine.begin() as conn:
            person_id = self._person_id(conn, person)
            if kind != "pair":
                conn.execute(delete(ratings).where(
                    ratings.c.person_id == person_id, ratings.c.kind == kind,
                    ratings.c.artwork_id == artwork_id,
                ))
            rating_id = conn.execute(insert(ratings).values(
                person_id=person_id, kind=kind, artwork_id=artwork_id, other_id=other_id,
                value=value, created=created,
            )).inserted_primary_key[0]
        return Rating(int(rating_id), person, kind, artwork_id, other_id, value, created)

    def list_ratings(self, person: str | None = None, kind: str | None = None) -> list[Rating]:
        """Ratings, oldest first; only one person's or one kind's when given."""
        if kind is not None and kind not in RATING_KINDS:
            raise InvalidArgument(f"`kind` must be one of {RATING_KINDS}, got {kind!r}.")
        stmt = select(
            ratings.c.id, people.c.name, ratings.c.kind, ratings.c.artwork_id,
            ratings.c.other_id, ratings.c.value, ratings.c.created,
        ).select_from(ratings.join(people, ratings.c.person_id == people.c.id))
        if person is not None:
            stmt = stmt.where(people.c.name == text_arg("person", person))
        if kind is not None:
            stmt = stmt.where(ratings.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(ratings.c.created, ratings.c.id)).all()
        return [Rating(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in rows]

    def count_ratings(self, person: str, kind: str | None = None) -> int:
        """How many ratings `person` has given (of one kind when given)."""
        stmt = select(func.count()).select_from(
            ratings.join(people, ratings.c.person_id == people.c.id)
        ).where(people.c.name == text_arg("person", person))
        if kind is not None:
            if kind not in RATING_KINDS:
                raise InvalidArgument(f"`kind` must be one of {RATING_KINDS}, got {kind!r}.")
            stmt = stmt.where(ratings.c.kind == kind)
        with self.engine.connect() as conn:
            return int(conn.scalar(stmt) or 0)

    def delete_rating(self, rating_id: int) -> None:
        """Remove one rating by its id (UnknownName if there is none)."""
        if isinstance(rating_id, bool) or not isinstance(rating_id, int):
            raise InvalidArgument(f"`rating_id` must be an integer, got {rating_id!r}.")
        with self.engine.begin() as conn:
            gone = conn.execute(delete(ratings).where(ratings.c.id == rating_id)).rowcount
        if not gone:
            raise UnknownName("rating", str(rating_id))

    def ratings_of_artwork(self, artwork: str) -> list[Rating]:
        """Every rating that names this artwork (as the rated one, winner or loser)."""
        sha = self.resolve_id(artwork)
        stmt = select(
            ratings.c.id, people.c.name, ratings.c.kind, ratings.c.artwork_id,
            ratings.c.other_id, ratings.c.value, ratings.c.created,
        ).select_from(ratings.join(people, ratings.c.person_id == people.c.id)).where(
            or_(ratings.c.artwork_id == sha, ratings.c.other_id == sha)
        ).order_by(ratings.c.created, ratings.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [Rating(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in rows]

    # -- taste profiles -----------------------------------------------------------
    def save_taste_profile(
        self, person: str, name: str, *, embedder: str, model: dict[str, Any], n_pairs: int,
        accuracy: float | None,
    ) -> int:
        """Store a new version of the profile `name` of `person`; return its version number."""
        person, name = text_arg("person", person), text_arg("name", name)
        embedder = text_arg("embedder", embedder)
        if not isinstance(model, dict):
            raise InvalidArgument(f"`model` must be a dict, got {type(model).__name__}.")
        text = json.dumps(model, separators=(",", ":"))
        with self.engine.begin() as conn:
            person_id = self._person_id(conn, person)
            last = conn.scalar(select(func.max(taste_profiles.c.version)).where(
                taste_profiles.c.person_id == person_id, taste_profiles.c.name == name))
            version = 1 if last is None else int(last) + 1
            conn.execute(insert(taste_profiles).values(
                person_id=person_id, name=name, version=version, embedder=embedder, model=text,
                n_pairs=int(n_pairs), accuracy=None if accuracy is None else float(accuracy),
                created=now(),
            ))
        return version

    def get_taste_profile(
        self, person: str, name: str, version: int | None = None
    ) -> StoredProfile:
        """The newest (or the given) version; UnknownName listing the person's profiles if none."""
        person, name = text_arg("person", person), text_arg("name", name)
        stmt = self._profile_select().where(
            people.c.name == person, taste_profiles.c.name == name)
        if version is not None:
            stmt = stmt.where(taste_profiles.c.version == version)
        with self.engine.connect() as conn:
            row = conn.execute(stmt.order_by(taste_profiles.c.version.desc()).limit(1)).first()
        if row is None:
            shown = name if version is None else f"{name} (version {version})"
            raise UnknownName(f"taste profile of {person}", shown,
                              self.list_taste_profiles(person))
        return StoredProfile(
            person=row.person, name=row.name, version=int(row.version), embedder=row.embedder,
            model=json.loads(row.model), n_pairs=int(row.n_pairs), accuracy=row.accuracy,
            created=row.created,
        )

    def list_taste_profiles(self, person: str) -> list[str]:
        """The names of a person's saved profiles, sorted."""
        stmt = select(taste_profiles.c.name).distinct().select_from(
            taste_profiles.join(people, taste_profiles.c.person_id == people.c.id)
        ).where(people.c.name == text_arg("person", person)).order_by(taste_profiles.c.name)
        with self.engine.connect() as conn:
            return list(conn.scalars(stmt))

    def delete_taste_profile(self, person: str, name: str) -> int:
        """Remove every version of a profile; how many were removed (UnknownName if none)."""
        person, name = text_arg("person", person), text_arg("name", name)
        with self.engine.begin() as conn:
            person_id = conn.scalar(select(people.c.id).where(people.c.name == person))
            gone = 0 if person_id is None else conn.execute(delete(taste_profiles).where(
                taste_profiles.c.person_id == person_id, taste_profiles.c.name == name)).rowcount
        if not gone:
            raise UnknownName(f"taste profile of {person}", name, self.list_taste_profiles(person))
        return int(gone)

    @staticmethod
    def _profile_select() -> Any:
        return select(
            people.c.name.label("person"), taste_profiles.c.name, taste_profiles.c.version,
            taste_profiles.c.embedder, taste_profiles.c.model, taste_profiles.c.n_pairs,
            taste_profiles.c.accuracy, taste_profiles.c.created,
        ).select_from(taste_profiles.join(people, taste_profiles.c.person_id == people.c.id))
