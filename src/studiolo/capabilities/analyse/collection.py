"""Reference collections: index a folder of works, keep it on disk, list and show it.

A collection lives in the catalog (catalogued.py: tables `reference_collections`,
`reference_works`, `reference_vectors`) and is searched in memory as a `NumpyIndex`;
one saved by an older studio under `<home>/collections/<name>/` is copied in on first use. The studio's own bundled paintings are
the built-in collection `builtin`. Indexing reuses the features of every work
already in the collection (by the sha256 of its pixels), so adding a folder again
only computes what is new.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studiolo.core.errors import ImageError, InvalidArgument, UnknownName
from studiolo.core.progress import ProgressCallback, no_progress

from .brushwork import analyse_brushwork
from .colour import analyse_colour
from .composition import analyse_composition
from .embed import embed
from .figures import figure_vector
from .index import NumpyIndex, Work
from .manifest import Manifest, ManifestRow, read_folder, read_manifest
from .prepare import load, prepare
from .results import jsonable
from .tiles import flat_tiles, tile_features

BUILTIN = "builtin"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class WorkFeatures:
    """What a work is compared by: its embeddings and its named figures."""

    vectors: dict[str, np.ndarray]


@dataclass(frozen=True)
class CollectionSummary:
    name: str
    works: int
    artists: int
    notes: tuple[str, ...]

    def to_json(self) -> dict:
        return jsonable(self)


@dataclass(frozen=True)
class CollectionDetails:
    name: str
    works: tuple[Work, ...]
    artists: tuple[tuple[str, int], ...]  # (artist, works), most works first
    notes: tuple[str, ...]

    def to_json(self) -> dict:
        return jsonable(self)


def work_features(source, networks: tuple[Callable, Callable] | None = None,
                  name: str = "image") -> tuple[str, dict[str, np.ndarray]]:
    """(pixel sha256, every vector kind incl. "figures") of one picture."""
    image = load(source, name)
    prep = prepare(image, name)
    brush = analyse_brushwork(prep)
    vectors = dict(embed(prep, brush, networks, image).vectors)
    vectors["figures"] = figure_vector(analyse_colour(prep), analyse_composition(prep), brush)
    return prep.sha256, vectors


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidArgument(
            f"`name` must be 1 to 64 letters, digits, '.', '_' or '-' starting with a letter "
            f"or digit, got {name!r}.")
    return name


def collection_notes(name: str, works: Sequence[Work]) -> list[str]:
    """What a person must know about a collection before trusting its verdicts."""
    counts = Counter(w.artist for w in works)
    notes = []
    if len(counts) == 1:
        notes.append(f"Collection {name!r} holds works by one artist only ({next(iter(counts))}),"
                     " so attribution cannot weigh one artist against another; only how "
                     "typical a work is for that artist can be judged.")
    singles = sorted(a for a, c in counts.items() if c == 1)
    if singles and len(singles) == len(counts):
        notes.append(f"Every artist in collection {name!r} has one work, so the probabilities "
                     "cannot be calibrated by leave-one-out and an artist's own spread cannot "
                     "be measured; attributions fall back to the collection's overall spread.")
    elif singles:
        shown = ", ".join(singles[:8]) + (f" and {len(singles) - 8} more" if len(singles) > 8
                                          else "")
        notes.append(f"{len(singles)} of the {len(counts)} artists in collection {name!r} have "
                     f"one work ({shown}): a verdict about them rests on a single picture.")
    return notes


def index_manifest(name: str, manifest: Manifest, cache: NumpyIndex | None = None,
                   progress: ProgressCallback = no_progress,
                   networks: tuple[Callable, Callable] | None = None) -> NumpyIndex:
    """A new index of a manifest's works; features of works in `cache` are reused."""
    notes = list(manifest.notes)
    failures, works, vectors = [], [], []
    seen: dict[str, ManifestRow] = {}
    total = len(manifest.rows)
    for step, row in enumerate(manifest.rows, 1):
        progress({"stage": "index", "step": step, "total": total, "message": row.file})
        try:
            image = _open(manifest.folder / row.file, row.file)
        except (ImageError, InvalidArgument) as exc:
            failures.append(f"{row.file} ({str(exc).rstrip('.')})")
            continue
        from .prepare import content_hash

        sha = content_hash(image)
        if sha in seen:
            notes.append(f"{row.file} shows the same picture as {seen[sha].file}; it is indexed "
                         f"once, as {seen[sha].artist}'s.")
            continue
        seen[sha] = row
        if cache is not None and sha in cache:
            found = cache.vectors_of(sha)
            if "tiles" not in found:  # indexed before the tiles kind: only they are computed
                content_fn = networks[1] if networks is not None else None
                found = {**found, "tiles": flat_tiles(tile_features(image, content_fn))}
        else:
            found = work_features(image, networks, row.file)[1]
        works.append(Work(sha, row.file, row.artist, row.title, row.year))
        vectors.append(found)
    if failures:
        raise InvalidArgument(
            f"{len(failures)} of the {total} files of collection {name!r} cannot be analysed: "
            f"{'; '.join(failures[:10])}{'; ...' if len(failures) > 10 else ''}. Replace or "
            "remove them and index the collection again.")
    if not works:
        raise InvalidArgument(f"Collection {name!r} has no works to index.")
    index = NumpyIndex(name, notes + collection_notes(name, works))
    index.add(works, {k: np.stack([v[k] for v in vectors]) for k in vectors[0]})
    return index


def _open(path: Path, label: str):
    from studiolo.core.imageio import open_image

    from .prepare import MIN_SIDE

    image = open_image(path, mode="RGB", name=label)
    if min(image.size) < MIN_SIDE:
        raise InvalidArgument(f"{label} is {image.width}x{image.height} px, under {MIN_SIDE} px")
    return image


def collection_folder(root: Path, name: str) -> Path:
    """Where a collection was saved before the catalog kept them (copied in on first use)."""
    return Path(root) / "collections" / check_name(name)


def _store(where: Any) -> tuple[Any, Path | None]:
    """(the catalog, the studio folder or None) for a catalog or a studio folder."""
    from .catalogued import catalog_at

    if where is None:
        return None, None
    return catalog_at(where), (None if hasattr(where, "engine") else Path(where))


def _kept(catalog: Any, home: Path | None, name: str) -> NumpyIndex | None:
    """Collection `name` from the catalog, copied in first from its old folder if need be."""
    from .catalogued import import_folders, load_index

    found = load_index(catalog, name)
    if found is None and home is not None and import_folders(catalog, home):
        found = load_index(catalog, name)
    return found


def add_collection(where: Any, name: str, folder: Path, manifest: Path | None = None,
                   progress: ProgressCallback = no_progress,
                   networks: tuple[Callable, Callable] | None = None) -> CollectionSummary:
    """Index `folder` (its manifest.csv, `manifest`, or artist subfolders) as collection
    `name` in the catalog `where` (a catalog, or a studio folder whose catalog it is),
    replacing an earlier index of that name (its features reused)."""
    from .catalogued import save_index

    if check_name(name) == BUILTIN:
        raise InvalidArgument(f"`name` {BUILTIN!r} is the studio's own collection of bundled "
                              "paintings; choose another name.")
    listing = read_manifest(manifest, folder) if manifest is not None else read_folder(folder)
    catalog, home = _store(where)
    cache = _kept(catalog, home, name)
    index = index_manifest(name, listing, cache, progress, networks)
    save_index(catalog, index)
    return summary(index)


def summary(index: NumpyIndex) -> CollectionSummary:
    works = index.list()
    return CollectionSummary(index.name, len(works), len({w.artist for w in works}),
                             tuple(index.notes))


def load_collection(where: Any, name: str,
                    networks: tuple[Callable, Callable] | None = None) -> NumpyIndex:
    """A collection of the catalog `where` (a catalog or a studio folder), or the built-in
    one (indexed on first use and kept there)."""
    if name == BUILTIN:
        return builtin_collection(where, networks=networks)
    check_name(name)
    found = None
    if where is not None:
        catalog, home = _store(where)
        found = _kept(catalog, home, name)
    if found is None:
        raise UnknownName("collection", name, [c.name for c in list_collections(where)])
    return found


def list_collections(where: Any) -> list[CollectionSummary]:
    """The built-in collection, then every one the catalog keeps, by name (the built-in
    one's counts come from its listing, so listing never computes features)."""
    from studiolo.features.styles import list_styles

    from .catalogued import import_folders, list_indexes

    paintings = [s for s in list_styles() if s.kind == "painting"]
    found = [CollectionSummary(BUILTIN, len(paintings), len({s.artist for s in paintings}),
                               ("The studio's own bundled public-domain paintings.",))]
    if where is not None:
        catalog, home = _store(where)
        import_folders(catalog, home)
        found += [CollectionSummary(name, works, artists, notes)
                  for name, works, artists, notes in list_indexes(catalog) if name != BUILTIN]
    return found


def show_collection(where: Any, name: str,
                    networks: tuple[Callable, Callable] | None = None) -> CollectionDetails:
    index = load_collection(where, name, networks)
    works = index.list()
    counts = Counter(w.artist for w in works)
    artists = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return CollectionDetails(index.name, tuple(works), artists, tuple(index.notes))


def builtin_collection(where: Any = None, progress: ProgressCallback = no_progress,
                       networks: tuple[Callable, Callable] | None = None) -> NumpyIndex:
    """The bundled paintings as a collection; kept in the catalog `where` (a catalog or a
    studio folder) once indexed with the real networks."""
    from studiolo.features.styles import list_styles, style_image

    from .catalogued import save_index

    catalog, home = _store(where)
    cache = _kept(catalog, home, BUILTIN) if catalog is not None else None
    paintings = [s for s in list_styles() if s.kind == "painting"]
    if cache is not None and len(cache) == len(paintings) and networks is None \
            and "tiles" in cache.kinds:
        return cache
    works, vectors = [], []
    for step, style in enumerate(paintings, 1):
        progress({"stage": "index", "step": step, "total": len(paintings), "message": style.file})
        image = style_image(style)
        from .prepare import content_hash

        sha = content_hash(image)
        found = cache.vectors_of(sha) if cache is not None and sha in cache else work_features(
            image, networks, style.file)[1]
        if "tiles" not in found:  # kept from before the tiles kind
            found = {**found, "tiles": flat_tiles(tile_features(
                image, networks[1] if networks is not None else None))}
        works.append(Work(sha, style.file, style.artist, style.title, style.year))
        vectors.append(found)
    index = NumpyIndex(BUILTIN, collection_notes(BUILTIN, works))
    index.add(works, {k: np.stack([v[k] for v in vectors]) for k in vectors[0]})
    if catalog is not None and networks is None:
        save_index(catalog, index)
    return index
