"""The catalog: artworks, recipes, credits, jobs and collections in SQL.

`Catalog(url)` opens (and, if needed, creates or upgrades) a SQLite or
PostgreSQL database and speaks in the frozen types of `studiolo.core.types`. Every
write is one transaction: an artwork lands with its recipe, credits, parents
and tags, or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Select,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from studiolo.catalog import migrate, search
from studiolo.catalog._common import now as _now
from studiolo.catalog._common import text_arg as _text_arg
from studiolo.catalog.boards import CollectionTable
from studiolo.catalog.changes import Changes, CountCache
from studiolo.catalog.consent import OptOutTable
from studiolo.catalog.exhibitions import ExhibitionTable
from studiolo.catalog.jobs import JobTable
from studiolo.catalog.queries import (
    artwork_from_rows,
    artwork_select,
    check_prefix,
    complete,
    filter_params,
    filter_shape,
    one_match,
    prefix_range,
    statements,
)
from studiolo.catalog.ratings import RatingTable
from studiolo.catalog.schema import (
    artwork_parents,
    artworks,
    credits,
    marks,
    people,
    recipes,
    tags,
)
from studiolo.core.errors import CatalogError, InvalidArgument
from studiolo.core.files import check_sha256, is_sha256
from studiolo.core.types import Artwork

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 40
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web studio read while a job writes; foreign keys are off by
    # default in SQLite; the busy timeout makes a second writer wait, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough under WAL, much faster
    # Read pages straight from the OS cache, shared by every pooled connection, rather
    # than copying them into each connection's own 2 MB cache: ~20% less CPU per web
    # request on a 100,000-artwork catalog (benchmarks/gallery.py).
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if not database or database == ":memory:":
        # One shared connection, or every checkout would see a new empty database.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Enough pooled connections for the web server's threads (AnyIO runs up to 40):
        # past the pool, each request would open a connection and close it again.
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Catalog(JobTable, CollectionTable, OptOutTable, RatingTable, ExhibitionTable):
    """The SQL side of a studio. `url` is any SQLAlchemy URL (sqlite:///..., postgresql+psycopg://...)."""

    def __init__(self, url: str) -> None:
        if not isinstance(url, str) or not url:
            raise InvalidArgument(f"`url` must be a database URL, got {url!r}.")
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            raise InvalidArgument(
                f"`url` cannot be parsed as a database URL: {url!r}; use e.g. "
                "sqlite:////path/catalog.sqlite or postgresql+psycopg://user@host/db."
            ) from None
        self.url = url
        try:
            self.engine = _make_engine(url)
        except ImportError as exc:
            raise CatalogError(
                f"The database driver for {shown} is not installed ({exc}); for PostgreSQL "
                "run: pip install 'psycopg[binary]'."
            ) from None
        try:
            migrate.upgrade(self.engine, url)
        except OperationalError as exc:
            self.engine.dispose()
            raise CatalogError(f"Cannot open the catalog at {shown}: {exc.orig}") from None
        self.counts = CountCache(Changes(self.engine))  # gallery counts, until a change

    def __repr__(self) -> str:
        return f"Catalog({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.counts.changes.close()
        self.engine.dispose()

    # -- people -----------------------------------------------------------------
    def ensure_person(self, name: str) -> int:
        """The id of the person with this name, creating the row if needed."""
        name = _text_arg("name", name)
        with self.engine.begin() as conn:
            return self._person_id(conn, name)

    def _person_id(self, conn: Connection, name: str) -> int:
        query = select(people.c.id).where(people.c.name == name)
        found = conn.scalar(query)
        if found is None:
            # Two processes may add the same new person at once: both SQLite and
            # PostgreSQL accept ON CONFLICT DO NOTHING, so the loser just reads.
            dialect = conn.dialect.name
            make = {"sqlite": sqlite_insert, "postgresql": pg_insert}.get(dialect)
            values = {"name": name, "created": _now()}
            if make is None:
                conn.execute(insert(people).values(**values))
            else:
                conn.execute(make(people).values(**values).on_conflict_do_nothing())
            found = conn.scalar(query)
        return int(found)

    # -- artworks ---------------------------------------------------------------
    def add_artwork(
        self, artwork: Artwork, ext: str, *, tags: Sequence[str] = (), private: bool = False,
        mark: int | None = None,
    ) -> None:
        """Record a stored artwork with its recipe, credits, parents, tags and watermark mark,
        all or nothing (one transaction: a crash leaves the artwork with its mark or neither).

        Adding an id that is already recorded changes nothing. A `mark` another artwork
        already has is left with that artwork (the first record of the same pixels).
        """
        # 1. Check inputs.
        if artwork.id is None:
            raise InvalidArgument("`artwork.id` must be set (the sha256 of the stored file).")
        sha = check_sha256(artwork.id)
        if not isinstance(ext, str) or not re.fullmatch(r"[a-z0-9]{1,10}", ext):
            raise InvalidArgument(f"`ext` must be 1-10 lowercase letters or digits, got {ext!r}.")
        for parent in artwork.parents:
            check_sha256(parent)
        clean_tags = sorted({_text_arg("tags", t, max_len=100) for t in tags})
        created = artwork.created or _now()
        if created.tzinfo is None:
            raise InvalidArgument(f"`artwork.created` must be timezone-aware, got {created!r}.")
        recipe = artwork.recipe
        # 2. Write everything in one transaction.
        try:
            with self.engine.begin() as conn:
                if self._exists(conn, sha):
                    return
                owner_id = self._person_id(conn, artwork.owner) if artwork.owner else None
                recipe_id = conn.execute(
                    insert(recipes).values(
                        json=recipe.to_json(), engine=recipe.engine, model=recipe.model,
                        model_hash=recipe.model_hash, seed=recipe.seed,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    insert(artworks).values(
                        id=sha, owner_id=owner_id, recipe_id=recipe_id, ext=ext,
                        width=artwork.width if artwork.width is not None else recipe.width,
                        height=artwork.height if artwork.height is not None else recipe.height,
                        title=artwork.title, private=bool(private), created=created,
                        engine=recipe.engine, prompt=recipe.prompt, mode=recipe.mode,
                    )
                )
                self._insert_children(conn, sha, artwork, clean_tags)
                if mark is not None:
                    self._insert_mark(conn, mark, sha)
        except IntegrityError as exc:
            if self.has_artwork(sha):  # another writer recorded it first: same content, no-op
                return
            raise CatalogError(
                f"Artwork {sha[:12]} could not be stored, nothing was written: {exc.orig}"
            ) from exc

    def _insert_children(
        self, conn: Connection, sha: str, artwork: Artwork, clean_tags: list[str]
    ) -> None:
        credit_rows = [
            {"artwork_id": sha, "name": c.name, "kind": c.kind, "role": c.role, "share": c.share,
                 "evidence": c.evidence, "ref": c.ref, "position": i}
            for i, c in enumerate(artwork.credits)
        ]
        if credit_rows:
            conn.execute(insert(credits), credit_rows)
        parent_rows = [
            {"artwork_id": sha, "parent_id": p, "position": i} for i, p in enumerate(artwork.parents)
        ]
        if parent_rows:
            conn.execute(insert(artwork_parents), parent_rows)
        if clean_tags:
            conn.execute(insert(tags), [{"artwork_id": sha, "tag": t} for t in clean_tags])

    @staticmethod
    def _insert_mark(conn: Connection, mark: int, sha: str) -> None:
        from studiolo.catalog.marks import check_mark

        mark = check_mark(mark)
        if conn.scalar(select(marks.c.artwork_sha).where(marks.c.mark == mark)) is not None:
            return  # the mark names an earlier record: it keeps naming it
        try:
            with conn.begin_nested():  # a savepoint: losing a race for the mark keeps the artwork
                conn.execute(insert(marks).values(mark=mark, artwork_sha=sha))
        except IntegrityError:
            pass

    @staticmethod
    def _exists(conn: Connection, sha: str) -> bool:
        return conn.scalar(statements().exists, {"sha": sha}) is not None

    def references_file(self, sha256: str) -> bool:
        """Whether a stored file is an artwork's own or an input a recipe names."""
        sha = check_sha256(sha256)
        if self.has_artwork(sha):
            return True
        with self.engine.connect() as conn:
            return conn.scalar(select(recipes.c.id).where(recipes.c.json.contains(sha)).limit(1)) is not None

    def has_artwork(self, sha256: str) -> bool:
        with self.engine.connect() as conn:
            return self._exists(conn, check_sha256(sha256))

    def resolve_id(self, id_or_prefix: str) -> str:
        """The full id for a full id or a unique prefix of at least 6 hex digits.

        Every artwork counts, private or not: the web studio resolves among the works a
        viewer may see (`visibility.resolve`), so an error never names a hidden one.
        """
        prefix = check_prefix(id_or_prefix)
        # A range on the primary key (ids are lower-case hex), not LIKE 'p%', which
        # SQLite cannot answer from the index: 140 ms -> well under 1 ms at 100k rows.
        with self.engine.connect() as conn:
            if len(prefix) == 64:
                found = list(conn.scalars(statements().exists, {"sha": prefix}))
            else:
                found = list(conn.scalars(statements().prefixed, prefix_range(prefix)))
        return one_match(found, id_or_prefix)

    def full_id(self, id_or_prefix: str) -> str:
        """As `resolve_id`, but a full id is taken as it is, with no lookup (for the reads
        that follow, which find nothing for an id of no artwork)."""
        return id_or_prefix if is_sha256(id_or_prefix) else self.resolve_id(id_or_prefix)

    def get_artwork(self, id_or_prefix: str) -> Artwork:
        sha = self.resolve_id(id_or_prefix)
        with self.engine.connect() as conn:
            return self._load_one(conn, sha)

    def artwork_ext(self, id_or_prefix: str) -> str:
        sha = self.resolve_id(id_or_prefix)
        with self.engine.connect() as conn:
            return str(conn.scalar(select(artworks.c.ext).where(artworks.c.id == sha)))

    def tags_of(self, id_or_prefix: str) -> list[str]:
        sha = self.resolve_id(id_or_prefix)
        with self.engine.connect() as conn:
            return self._tags(conn, sha)

    @staticmethod
    def _tags(conn: Connection, sha: str) -> list[str]:
        return list(conn.scalars(statements().tags, {"sha": sha}))

    def list_artworks(
        self,
        *,
        owner: str | None = None,
        query: str | None = None,
        engine: str | None = None,
        tag: str | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[Artwork]:
        """Artworks, filtered; `query` is a case-insensitive substring of prompt or title."""
        if not isinstance(limit, int) or limit < 1:
            raise InvalidArgument(f"`limit` must be a positive integer, got {limit!r}.")
        if not isinstance(offset, int) or offset < 0:
            raise InvalidArgument(f"`offset` must be an integer >= 0, got {offset!r}.")
        order = (artworks.c.created.desc(), artworks.c.id.desc()) if newest_first else (
            artworks.c.created.asc(), artworks.c.id.asc())
        stmt = self._filter(self._artwork_select(), owner, query, engine, tag)
        with self.engine.connect() as conn:
            return self._load(conn, stmt.order_by(*order).limit(limit).offset(offset))

    def count_artworks(
        self,
        *,
        owner: str | None = None,
        query: str | None = None,
        engine: str | None = None,
        tag: str | None = None,
    ) -> int:
        stmt = self._filter(select(func.count()).select_from(artworks), owner, query, engine, tag)
        with self.engine.connect() as conn:
            return int(conn.scalar(stmt) or 0)

    def _filter(
        self, stmt: Select[Any], owner: str | None, query: str | None, engine: str | None,
        tag: str | None, *, text_index: bool = True,
    ) -> Select[Any]:
        """`stmt` narrowed by the filters, values bound; `text_index`: see `search.where_text`."""
        text = None if not query else search.uses_index(self.engine.dialect.name, query, text_index)
        shaped = filter_shape(stmt, owner=owner is not None, text=text,
                              engine=engine is not None, tag=tag is not None)
        return shaped.params(filter_params(owner, query, engine, tag))

    @staticmethod
    def _artwork_select() -> Select[Any]:
        return artwork_select()

    @staticmethod
    def _load_one(conn: Connection, sha: str) -> Artwork:
        """The artwork with this full id (an IndexError when there is none): as `_load`, with
        statements built once for one id."""
        r = conn.execute(statements().artwork, {"sha": sha}).one_or_none()
        if r is None:
            raise IndexError(sha)
        return complete(conn, r)

    @staticmethod
    def _load(conn: Connection, stmt: Select[Any],
              values: dict[str, Any] | None = None) -> list[Artwork]:
        rows = conn.execute(stmt, values or {}).all()
        ids = [r.id for r in rows]
        if not ids:
            return []
        by_credit: dict[str, list[Any]] = {i: [] for i in ids}
        for c in conn.execute(statements().credits, {"ids": ids}):
            by_credit[c.artwork_id].append(c)
        by_parent: dict[str, list[str]] = {i: [] for i in ids}
        for p in conn.execute(statements().parents, {"ids": ids}):
            by_parent[p.artwork_id].append(p.parent_id)
        return [artwork_from_rows(r, by_credit[r.id], by_parent[r.id]) for r in rows]

    def delete_artwork(self, id_or_prefix: str) -> str:
        """Remove an artwork's record (not its file) and return its full id."""
        sha = self.resolve_id(id_or_prefix)
        with self.engine.begin() as conn:
            recipe_id = conn.scalar(select(artworks.c.recipe_id).where(artworks.c.id == sha))
            # Every row that points at the artwork, found from the tables' own foreign keys,
            # so a table added later cannot be forgotten here; explicit deletes rather than
            # ON DELETE CASCADE alone, so a SQLite connection without foreign_keys=ON cannot
            # leave orphans.
            for column in artwork_references():
                conn.execute(delete(column.table).where(column == sha))
            conn.execute(delete(artworks).where(artworks.c.id == sha))
            conn.execute(delete(recipes).where(recipes.c.id == recipe_id))
        return sha


def artwork_references() -> list[Any]:
    """Every column of the schema with a foreign key to `artworks.id`, children first."""
    return [fk.parent for table in reversed(artworks.metadata.sorted_tables)
            for fk in table.foreign_keys if fk.column is artworks.c.id]


def open_catalog(settings: Any) -> Catalog:
    """The catalog for these settings (`settings.database_url`)."""
    return Catalog(settings.database_url)


__all__ = ["Catalog", "open_catalog"]
