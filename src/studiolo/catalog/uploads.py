"""Who uploaded which input image: an upload belongs to the person who sent it.

Functions of a `Catalog`, like accounts.py. The file store keeps images by content
hash, and a hash is no secret (a recipe names its inputs' hashes), so the web studio
asks here before it uses an upload for someone: the same bytes uploaded by two people
are one file and two rows, each usable by its own person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import people, uploads
from studiolo.core.files import check_sha256

if TYPE_CHECKING:
    from studiolo.catalog.store import Catalog


def record(catalog: Catalog, sha256: str, person: str) -> None:
    """Note that `person` uploaded the image `sha256` (again: no change)."""
    sha, person = check_sha256(sha256), text_arg("person", person)
    with catalog.engine.begin() as conn:
        person_id = catalog._person_id(conn, person)
        make = {"sqlite": sqlite_insert, "postgresql": pg_insert}[conn.dialect.name]
        conn.execute(make(uploads).values(sha256=sha, person_id=person_id, created=now())
                     .on_conflict_do_nothing())


def owns(catalog: Catalog, sha256: str, person: str) -> bool:
    """Whether `person` uploaded the image `sha256`."""
    sha, person = check_sha256(sha256), text_arg("person", person)
    mine = select(uploads.c.sha256).join(people, people.c.id == uploads.c.person_id).where(
        uploads.c.sha256 == sha, people.c.name == person)
    with catalog.engine.connect() as conn:
        return conn.scalar(mine) is not None
