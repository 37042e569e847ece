"""Reference collections kept in the catalog (tables `reference_collections`, `reference_works`
and `reference_vectors`, migration 0012), on SQLite and PostgreSQL alike.

`save_index` writes a whole `NumpyIndex` in one transaction (replacing the collection of that
name, so a crash leaves the old one or the new one, never half); `load_index` reads it back
into memory, where `NumpyIndex` searches it. A work's embedding of each kind is one row of
float32 little-endian bytes. Collections indexed before the catalog kept them (folders
`STUDIOLO_HOME/collections/<name>/` of `NumpyIndex.save`) are copied in by
`import_folders`, once, and the folder is left as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete, func, select

from studiolo.catalog._common import now
from studiolo.catalog.schema import reference_collections, reference_vectors, reference_works
from studiolo.core.errors import InvalidArgument

from .index import NumpyIndex, Work

if TYPE_CHECKING:
    from studiolo.catalog.store import Catalog

CHUNK = 1_000  # rows per multi-row INSERT: few round trips, under every backend's parameter limit
_OPEN: dict[str, Any] = {}  # catalogs opened here for a studio folder, by folder


def catalog_at(where: Any) -> Catalog:
    """`where` if it is a catalog, else the catalog of the studio folder `where` (its
    STUDIOLO_DATABASE_URL or HOME/catalog.sqlite, as the rest of the studio opens it)."""
    if hasattr(where, "engine"):
        return where
    from studiolo.catalog import open_catalog
    from studiolo.core.settings import Settings

    settings = Settings.from_env(Path(where))
    key = f"{settings.home}|{settings.database_url}"
    if key not in _OPEN:
        settings.home.mkdir(parents=True, exist_ok=True)
        _OPEN[key] = open_catalog(settings)
    return _OPEN[key]


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def save_index(catalog: Catalog, index: NumpyIndex) -> None:
    """Keep `index` as collection `index.name`, replacing one of that name."""
    works = index.list()
    kinds = {k: int(index.vectors(k).shape[1]) for k in index.kinds}
    stamp = now()
    with catalog.engine.begin() as conn:
        created = conn.scalar(select(reference_collections.c.created).where(
            reference_collections.c.name == index.name)) or stamp
        conn.execute(delete(reference_collections).where(
            reference_collections.c.name == index.name))
        # The foreign keys cascade, but say it: SQLite only cascades with its pragma on.
        conn.execute(delete(reference_vectors).where(
            reference_vectors.c.collection == index.name))
        conn.execute(delete(reference_works).where(reference_works.c.collection == index.name))
        conn.execute(reference_collections.insert().values(
            name=index.name, notes=json.dumps(list(index.notes), ensure_ascii=False),
            kinds=json.dumps(kinds), created=created, updated=stamp))
        rows = [{"collection": index.name, "sha256": w.sha256, "position": i, "file": w.file,
                 "artist": w.artist, "title": w.title, "year": w.year}
                for i, w in enumerate(works)]
        for start in range(0, len(rows), CHUNK):
            _insert(conn, reference_works, rows[start:start + CHUNK])
        for kind in kinds:
            matrix = index.vectors(kind)
            for start in range(0, len(works), CHUNK):
                _insert(conn, reference_vectors, [
                    {"collection": index.name, "sha256": w.sha256, "kind": kind,
                     "vector": _blob(matrix[start + j])}
                    for j, w in enumerate(works[start:start + CHUNK])])


def _insert(conn: Any, table: Any, rows: list[dict]) -> None:
    """Insert rows: one multi-row INSERT on PostgreSQL (an executemany there costs a round
    trip per row, twice the time at 3,000 works), an executemany on SQLite (in process,
    where compiling the multi-row statement is what costs)."""
    if conn.dialect.name == "postgresql":
        conn.execute(table.insert().values(rows))
    else:
        conn.execute(table.insert(), rows)


def has_index(catalog: Catalog, name: str) -> bool:
    with catalog.engine.connect() as conn:
        return conn.scalar(select(reference_collections.c.name).where(
            reference_collections.c.name == name)) is not None


def load_index(catalog: Catalog, name: str) -> NumpyIndex | None:
    """Collection `name` from the catalog, or None when it holds none of that name."""
    with catalog.engine.connect() as conn:
        head = conn.execute(select(reference_collections).where(
            reference_collections.c.name == name)).first()
        if head is None:
            return None
        works = [Work(r.sha256, r.file, r.artist, r.title, r.year) for r in conn.execute(
            select(reference_works).where(reference_works.c.collection == name)
            .order_by(reference_works.c.position))]
        kinds: dict[str, int] = json.loads(head.kinds)
        rows = {w.sha256: i for i, w in enumerate(works)}
        matrices = {k: np.zeros((len(works), d), np.float32) for k, d in kinds.items()}
        found = {k: 0 for k in kinds}
        for r in conn.execute(select(reference_vectors.c.sha256, reference_vectors.c.kind,
                                     reference_vectors.c.vector)
                              .where(reference_vectors.c.collection == name)):
            if r.kind not in matrices or r.sha256 not in rows:
                continue
            vector = np.frombuffer(bytes(r.vector), dtype="<f4")
            if vector.shape[0] != kinds[r.kind]:
                raise InvalidArgument(
                    f"Collection {name!r} in the catalog holds a {r.kind} embedding of "
                    f"{vector.shape[0]} dimensions, not {kinds[r.kind]}; index it again with "
                    "`studiolo collection add`.")
            matrices[r.kind][rows[r.sha256]] = vector
            found[r.kind] += 1
    short = [k for k, n in found.items() if n != len(works)]
    if short:
        raise InvalidArgument(
            f"Collection {name!r} in the catalog lacks {short[0]} embeddings for "
            f"{len(works) - found[short[0]]} of its {len(works)} works; index it again with "
            "`studiolo collection add`.")
    index = NumpyIndex(name, [str(n) for n in json.loads(head.notes)])
    if works:
        index.add(works, matrices)
    return index


def list_indexes(catalog: Catalog) -> list[tuple[str, int, int, tuple[str, ...]]]:
    """(name, works, artists, notes) of every collection in the catalog, by name."""
    counts = (select(reference_works.c.collection, func.count().label("works"),
                     func.count(reference_works.c.artist.distinct()).label("artists"))
              .group_by(reference_works.c.collection).subquery())
    stmt = (select(reference_collections.c.name, reference_collections.c.notes,
                   counts.c.works, counts.c.artists)
            .outerjoin(counts, counts.c.collection == reference_collections.c.name)
            .order_by(reference_collections.c.name))
    with catalog.engine.connect() as conn:
        return [(r.name, int(r.works or 0), int(r.artists or 0),
                 tuple(str(n) for n in json.loads(r.notes))) for r in conn.execute(stmt)]


def delete_index(catalog: Catalog, name: str) -> bool:
    """Forget collection `name`; False when there was none."""
    with catalog.engine.begin() as conn:
        conn.execute(delete(reference_vectors).where(reference_vectors.c.collection == name))
        conn.execute(delete(reference_works).where(reference_works.c.collection == name))
        return conn.execute(delete(reference_collections).where(
            reference_collections.c.name == name)).rowcount > 0


def import_folders(catalog: Catalog, home: Path | None) -> list[str]:
    """Copy the collections saved as folders under `home/collections` into the catalog (those
    it does not hold yet); returns their names. A damaged folder is left out, not fatal."""
    base = Path(home) / "collections" if home is not None else None
    if base is None or not base.is_dir():
        return []
    copied = []
    for sub in sorted(base.iterdir()):
        if (sub / "collection.json").is_file() and not has_index(catalog, sub.name):
            try:
                index = NumpyIndex.load(sub)
            except InvalidArgument:
                continue
            index.name = sub.name
            save_index(catalog, index)
            copied.append(sub.name)
    return copied
