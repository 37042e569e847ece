"""A collection index: works, their embeddings by kind, and nearest-neighbour search.

`CollectionIndex` is the narrow interface everything else in this folder uses;
`NumpyIndex` keeps it in memory and persists to a folder (`collection.json` with
the works, `vectors.npz` with one float32 matrix per kind, both written to a
temporary name and renamed, so a crash never leaves half an index). Phase 2 puts
the same interface over catalog tables (SQLite and PostgreSQL).

The index is also the feature cache: works are keyed by the sha256 of their
pixels, so indexing a folder again, or a leave-one-out over the collection,
never recomputes a work's features.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from studiolo.core.errors import InvalidArgument, UnknownName

from .search import Hit, NearestSearch

FORMAT = 1


@dataclass(frozen=True)
class Work:
    """One work of a collection; `sha256` (of its decoded pixels) is its key."""

    sha256: str
    file: str
    artist: str
    title: str = ""
    year: str = ""


@runtime_checkable
class CollectionIndex(Protocol):
    name: str

    def add(self, works: Sequence[Work], vectors: Mapping[str, np.ndarray]) -> list[Work]:
        """Add works with one (len(works), D) matrix per kind; returns the works skipped
        because a work with the same sha256 is already there."""

    def list(self) -> list[Work]:
        """Every work, in the order added."""

    def get(self, key: str) -> Work:
        """The work with this sha256 (UnknownName if none)."""

    def vectors(self, kind: str) -> np.ndarray:
        """(N, D) float32 embeddings of one kind, rows in `list()` order (read-only)."""

    def nearest(self, kind: str, query: np.ndarray, k: int = 10,
                exclude: Iterable[str] = ()) -> list[tuple[Work, float]]:
        """The k works whose `kind` embedding is most similar (cosine) to `query`."""


class NumpyIndex:
    """`CollectionIndex` in memory, on NumPy, persisted with `save` / `NumpyIndex.load`."""

    def __init__(self, name: str, notes: Sequence[str] = ()) -> None:
        self.name = name
        self.notes: list[str] = list(notes)
        self._works: list[Work] = []
        self._rows: dict[str, int] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._search: dict[str, NearestSearch] = {}

    # -- the interface -------------------------------------------------------------------
    def add(self, works: Sequence[Work], vectors: Mapping[str, np.ndarray]) -> list[Work]:
        n = len(works)
        if self._works and set(vectors) != set(self._vectors):
            raise InvalidArgument(
                f"`vectors` must have the kinds {sorted(self._vectors)} of index {self.name!r}, "
                f"got {sorted(vectors)}."
            )
        for kind, matrix in vectors.items():
            shape = np.shape(matrix)
            if len(shape) != 2 or shape[0] != n:
                raise InvalidArgument(
                    f"`vectors[{kind!r}]` must be ({n}, D) for {n} works, got {shape}.")
            if kind in self._vectors and shape[1] != self._vectors[kind].shape[1]:
                raise InvalidArgument(
                    f"`vectors[{kind!r}]` has {shape[1]} dimensions; index {self.name!r} holds "
                    f"{self._vectors[kind].shape[1]}.")
        skipped, keep, taken = [], [], set()
        for i, work in enumerate(works):
            if work.sha256 in self._rows or work.sha256 in taken:  # a set: linear in n
                skipped.append(work)
            else:
                keep.append((work, i))
                taken.add(work.sha256)
        if not keep:
            return skipped
        rows = [i for _, i in keep]
        for kind, matrix in vectors.items():
            new = np.asarray(matrix, np.float32)[rows]
            old = self._vectors.get(kind)
            self._vectors[kind] = new if old is None else np.concatenate([old, new])
            self._vectors[kind].setflags(write=False)
        for work, _ in keep:
            self._rows[work.sha256] = len(self._works)
            self._works.append(work)
        self._search.clear()
        return skipped

    def list(self) -> list[Work]:
        return list(self._works)

    def get(self, key: str) -> Work:
        if key not in self._rows:
            raise UnknownName("work", key)
        return self._works[self._rows[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._works)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._vectors)

    def vectors(self, kind: str) -> np.ndarray:
        if kind not in self._vectors:
            raise UnknownName("embedding kind", kind, sorted(self._vectors))
        return self._vectors[kind]

    def row(self, key: str) -> int:
        """The row of a work's vectors."""
        self.get(key)
        return self._rows[key]

    def vectors_of(self, key: str) -> dict[str, np.ndarray]:
        """Every kind's vector of one work (the feature cache)."""
        i = self.row(key)
        return {kind: m[i] for kind, m in self._vectors.items()}

    def nearest(self, kind: str, query: np.ndarray, k: int = 10,
                exclude: Iterable[str] = ()) -> list[tuple[Work, float]]:
        if kind not in self._search:
            self._search[kind] = NearestSearch(self.vectors(kind))
        banned = np.array([self._rows[s] for s in exclude if s in self._rows], np.int64)
        hits: list[Hit] = self._search[kind].search(query, k, banned)
        return [(self._works[h.row], h.similarity) for h in hits]

    # -- persistence ---------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the index to `folder` (made if needed), replacing what was there."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "name": self.name, "notes": self.notes,
                "works": [asdict(w) for w in self._works],
                "kinds": {k: int(m.shape[1]) for k, m in self._vectors.items()}}
        tmp_npz, tmp_json = folder / "vectors.npz.tmp", folder / "collection.json.tmp"
        with open(tmp_npz, "wb") as fh:
            np.savez(fh, **self._vectors)
        tmp_json.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp_npz, folder / "vectors.npz")
        os.replace(tmp_json, folder / "collection.json")

    @classmethod
    def load(cls, folder: Path) -> NumpyIndex:
        """An index saved by `save`; a missing or damaged folder is an InvalidArgument."""
        folder = Path(folder)
        meta_path, npz_path = folder / "collection.json", folder / "vectors.npz"
        if not meta_path.is_file() or not npz_path.is_file():
            raise InvalidArgument(
                f"Collection folder {folder} has no saved index (collection.json and "
                "vectors.npz); index it again with `studiolo collection add`.")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            works = [Work(**{k: str(w[k]) for k in ("sha256", "file", "artist", "title", "year")})
                     for w in meta["works"]]
            with np.load(npz_path, allow_pickle=False) as data:
                vectors = {k: np.asarray(data[k], np.float32) for k in meta["kinds"]}
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT}")
            index = cls(str(meta.get("name", folder.name)), [str(n) for n in meta["notes"]])
            if works:
                index.add(works, vectors)  # checks that every matrix has a row per work
        except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile,
                UnicodeDecodeError) as exc:
            raise InvalidArgument(
                f"Collection folder {folder} holds a damaged index ({type(exc).__name__}: "
                f"{exc}); index it again with `studiolo collection add`.") from None
        return index
