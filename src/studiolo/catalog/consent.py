"""The opt-out registry: artists and styles whose owners do not consent to AI use.

A mixin of `Catalog`; it uses `self.engine` from there. Names are unique
ignoring case, accents and punctuation ("Greg Rutkowski" and "greg
rutkowski" are one entry); the key is how `studiolo.provenance.influence`
matches names in prompts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import OPTOUT_KINDS, optouts
from studiolo.core.errors import InvalidArgument, UnknownName


@dataclass(frozen=True)
class OptOut:
    """One entry of the registry: whose work, artist or style, a note (where the wish was stated)."""

    name: str
    kind: str = "artist"
    note: str = ""
    created: datetime | None = None


def optout_key(name: str) -> str:
    """The matching key of a name: lower case, no accents, single spaces."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


class OptOutTable:
    engine: Engine

    def add_optout(self, name: str, kind: str = "artist", note: str = "") -> OptOut:
        """Register an opt-out; a name already registered (in any spelling) is an error."""
        name = text_arg("name", name)
        if kind not in OPTOUT_KINDS:
            raise InvalidArgument(f"`kind` must be one of {OPTOUT_KINDS}, got {kind!r}.")
        if not isinstance(note, str):
            raise InvalidArgument(f"`note` must be text, got {type(note).__name__}.")
        key = optout_key(name)
        if not key:
            raise InvalidArgument(f"`name` must contain letters or digits, got {name!r}.")
        entry = OptOut(name=name, kind=kind, note=note.strip(), created=now())
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(optouts).values(
                    name=entry.name, key=key, kind=kind, note=entry.note, created=entry.created))
        except IntegrityError:
            raise InvalidArgument(
                f"{name!r} is already in the opt-out registry; remove it first to change it."
            ) from None
        return entry

    def list_optouts(self) -> list[OptOut]:
        """Every opt-out, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(optouts).order_by(optouts.c.key)).all()
        return [OptOut(name=r.name, kind=r.kind, note=r.note, created=r.created) for r in rows]

    def remove_optout(self, name: str) -> None:
        """Remove an opt-out by name (any spelling); UnknownName listing the registry if absent."""
        name = text_arg("name", name)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(optouts).where(optouts.c.key == optout_key(name))).rowcount
        if not gone:
            raise UnknownName("opt-out", name, [o.name for o in self.list_optouts()])
